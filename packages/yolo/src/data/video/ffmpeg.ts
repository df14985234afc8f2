// The FFmpeg command-line tools yolots decodes and encodes video with (Debian's `ffmpeg` package, installed by
// scripts/setup.sh): where they are, how a child is started, and how its failures are put into words.
import { type ChildProcess, spawn } from 'node:child_process';

/** The two binaries; `YOLOTS_FFMPEG` / `YOLOTS_FFPROBE` point at others (a static build, another version). */
export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
}

export function ffmpegTools(env: NodeJS.ProcessEnv = process.env): FfmpegTools {
  return { ffmpeg: env.YOLOTS_FFMPEG || 'ffmpeg', ffprobe: env.YOLOTS_FFPROBE || 'ffprobe' };
}

/** The error for a binary that could not be started at all (not installed, not executable). */
export function toolMissingError(tool: string, cause: unknown): Error {
  const reason =
    (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'was not found' : `could not be started (${(cause as Error).message})`;
  return new Error(
    `${tool} ${reason}: yolots reads and writes video with FFmpeg. Install it (Debian/Ubuntu: apt-get install ffmpeg; ` +
      'scripts/setup.sh does it) or set YOLOTS_FFMPEG and YOLOTS_FFPROBE to the binaries.',
    { cause },
  );
}

/** The last lines of a tool's stderr, for an error message (FFmpeg prints its reason last). */
export class StderrTail {
  private text = '';

  constructor(private readonly maxChars = 4000) {}

  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.maxChars);
  }

  /** The last `lines` non-empty lines, joined by ' | '; '' when the tool printed nothing. */
  last(lines = 3): string {
    return this.text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .slice(-lines)
      .join(' | ');
  }
}

/** A running child with its stderr collected and its exit awaited; `spawned` rejects when the binary is missing. */
export interface Running {
  child: ChildProcess;
  stderr: StderrTail;
  /** Resolves with the exit code (null when killed by a signal) once the child has exited. */
  exited: Promise<number | null>;
}

/** Starts `tool args…` with stdin/stdout piped as asked and stderr collected; a missing binary rejects `exited`. */
export function startTool(tool: string, args: readonly string[], stdio: { stdin: boolean; stdout: boolean }): Running {
  const child = spawn(tool, args, { stdio: [stdio.stdin ? 'pipe' : 'ignore', stdio.stdout ? 'pipe' : 'ignore', 'pipe'] });
  const stderr = new StderrTail();
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => reject(toolMissingError(tool, error)));
    child.once('close', (code) => resolve(code));
  });
  // Whoever awaits `exited` sees the error; this keeps an unawaited rejection from crashing the process.
  exited.catch(() => {});
  return { child, stderr, exited };
}
