// Downloads one URL to a file: streamed with a progress line, size-checked, written atomically (a temporary file
// renamed into place), retried on network errors and 5xx answers.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What `downloadFile` checks and how often it tries. */
export interface DownloadOptions {
  /** Smaller downloads are failures (an HTML error page served with 200); Ultralytics uses 1e5 for weights. */
  minBytes?: number;
  /** Attempts after the first (Ultralytics' safe_download retries 3 times). */
  retries?: number;
  /** Draw the progress line; default when stdout is a terminal. */
  progress?: boolean;
}

/** An answer that another attempt will not change (404, 403, a file too small). */
class PermanentError extends Error {}

function formatMb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)}MB`;
}

async function attempt(url: string, file: string, minBytes: number, progress: boolean): Promise<void> {
  const response = await fetch(url, { redirect: 'follow' });
  if (!response.ok) {
    const message = `HTTP ${response.status} ${response.statusText}`;
    throw response.status >= 500 ? new Error(message) : new PermanentError(message);
  }
  if (!response.body) throw new Error('empty response');
  const total = Number(response.headers.get('content-length') ?? Number.NaN);
  const partial = `${file}.${process.pid}.partial`;
  await mkdir(dirname(file), { recursive: true });
  let received = 0;
  let lastDraw = 0;
  const start = Date.now();
  const draw = (done: boolean): void => {
    const seconds = Math.max((Date.now() - start) / 1000, 1e-3);
    const share = Number.isFinite(total) && total > 0 ? `${Math.floor((100 * received) / total)}% ` : '';
    const size = Number.isFinite(total) ? `${formatMb(received)}/${formatMb(total)}` : formatMb(received);
    process.stdout.write(`\r${basename(file)}: ${share}${size} [${formatMb(received / seconds)}/s]${done ? '\n' : ''}`);
  };
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (progress && Date.now() - lastDraw > 100) {
        lastDraw = Date.now();
        draw(false);
      }
      controller.enqueue(chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body.pipeThrough(counter) as never), createWriteStream(partial));
    if (progress) draw(true);
    if (Number.isFinite(total) && received !== total) throw new Error(`received ${received} of ${total} bytes`);
    if (received < minBytes) throw new PermanentError(`only ${received} bytes (expected at least ${minBytes}): not the file`);
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * Downloads `url` to `file`, creating its folder; `file` appears only once complete.
 *
 * @example
 * await downloadFile('https://github.com/ultralytics/assets/releases/download/v8.4.0/yolo11n.pt', 'yolo11n.pt');
 */
export async function downloadFile(url: string, file: string, options: DownloadOptions = {}): Promise<void> {
  const { minBytes = 1, retries = 3, progress = process.stdout.isTTY === true } = options;
  console.log(`Downloading ${url} to '${file}'...`);
  for (let i = 0; ; i++) {
    try {
      await attempt(url, file, minBytes, progress);
      return;
    } catch (error) {
      const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      if (error instanceof PermanentError || i >= retries) {
        throw new Error(
          `Download failure for ${url}: ${reason}${i > 0 ? ` (after ${i + 1} attempts)` : ''}. ` +
            `Offline or behind a proxy? Download it by hand and retry: curl -L -o '${file}' '${url}'`,
          { cause: error },
        );
      }
      console.log(`WARNING ⚠️ Download failure (${reason}), retrying ${i + 1}/${retries} ${url}...`);
    }
  }
}
