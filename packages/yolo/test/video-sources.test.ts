import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { RgbImage } from '../src/data/images.js';
import { type InferenceBatch, loadInferenceSource } from '../src/data/sources.js';
import { probeVideo } from '../src/data/video/probe.js';
import { greyFrame, greyIndex, writeGreyVideo } from './helpers/synthetic-video.js';

const dir = mkdtempSync(join(tmpdir(), 'yolots-video-'));
const clip = join(dir, 'clip.mp4');
let server: Server | null = null;
let baseUrl = '';

before(async () => {
  await writeGreyVideo(clip, 20);
  mkdirSync(join(dir, 'mixed'));
  await writeGreyVideo(join(dir, 'mixed', 'b.mkv'), 5);
  const still = greyFrame(7);
  await sharp(still.data, { raw: { width: still.width, height: still.height, channels: 3 } })
    .png()
    .toFile(join(dir, 'mixed', 'a.png'));
  // A local HTTP server streaming the clip, as an IP camera would (no file suffix in the URL).
  server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4' });
    createReadStream(clip).pipe(res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function collect(
  source: string,
  batch = 1,
  options: { vidStride?: number; buffer?: boolean } = {},
  warn?: (m: string) => void,
): Promise<InferenceBatch[]> {
  const batches: InferenceBatch[] = [];
  for await (const b of loadInferenceSource(source, batch, warn ?? console.warn, options)) batches.push(b);
  return batches;
}

describe('video files', () => {
  test('ffprobe reads size, frame rate and frame count', async () => {
    assert.deepEqual(await probeVideo(clip), { width: 64, height: 48, fps: 25, frames: 20, codec: 'h264' });
  });

  test('every frame in order, batched, with frame numbers, fps and Ultralytics log prefixes', async () => {
    const batches = await collect(clip, 8);
    assert.deepEqual(
      batches.map((b) => b.images.length),
      [8, 8, 4],
    );
    const images = batches.flatMap((b) => b.images);
    assert.deepEqual(images.map(greyIndex), [...Array(20).keys()]);
    assert.deepEqual(
      batches.flatMap((b) => b.frames),
      [...Array(20).keys()].map((i) => i + 1),
    );
    assert.deepEqual(new Set(batches.flatMap((b) => b.fps)), new Set([25]));
    assert.equal(batches[0]?.infos[2], `video 1/1 (frame 3/20) ${clip}: `);
    assert.equal(images[0]!.width, 64);
  });

  test('vid_stride=3 hands out frames 3, 6, 9, … (the last of each group of three, as Ultralytics grabs them)', async () => {
    const images = (await collect(clip, 4, { vidStride: 3 })).flatMap((b) => b.images);
    assert.deepEqual(images.map(greyIndex), [2, 5, 8, 11, 14, 17]);
  });

  test('a folder mixing images and videos: images first, never in a batch with video frames', async () => {
    const dataset = loadInferenceSource(join(dir, 'mixed'), 4);
    const modes: string[] = [];
    const batches: InferenceBatch[] = [];
    for await (const b of dataset) {
      batches.push(b);
      modes.push(dataset.mode);
    }
    assert.deepEqual(modes, ['image', 'video', 'video']);
    assert.deepEqual(
      batches.map((b) => b.paths.map((p) => p.split('/').pop())),
      [['a.png'], ['b.mkv', 'b.mkv', 'b.mkv', 'b.mkv'], ['b.mkv']],
    );
    assert.deepEqual(batches[0]?.frames, [null]);
    assert.deepEqual(dataset.videoFlag, [false, true]);
  });
});

describe('streams', () => {
  test('an http URL without a media suffix is a live stream: buffered, every frame arrives in order', async () => {
    const dataset = loadInferenceSource(`${baseUrl}/live`, 1, console.warn, { buffer: true });
    assert.equal(dataset.mode, 'stream');
    const images: RgbImage[] = [];
    let paths: string[] = [];
    for await (const b of dataset) {
      images.push(...b.images);
      paths = b.paths;
      assert.deepEqual(b.infos, ['']);
    }
    assert.deepEqual(images.map(greyIndex), [...Array(20).keys()]);
    assert.deepEqual(paths, [`http___127.0.0.1_${new URL(baseUrl).port}_live`]);
  });

  test('without stream_buffer, a slow consumer gets the newest frame each time (older ones are dropped)', async () => {
    const seen: number[] = [];
    for await (const b of loadInferenceSource(`${baseUrl}/live`, 1, console.warn, { buffer: false })) {
      seen.push(...b.images.map(greyIndex));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    assert.ok(
      seen.every((v, i) => i === 0 || v > seen[i - 1]!),
      `frames in order: ${seen}`,
    );
    assert.equal(seen.at(-1), 19, 'the last frame is always handed out');
  });
});

describe('bad video input', () => {
  test('a truncated .mp4 whose index is lost is an error naming the file', async () => {
    const full = join(dir, 'full.mp4');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=25',
      '-frames:v',
      '50',
      '-c:v',
      'libx264',
      full,
    ]);
    const cut = join(dir, 'cut.mp4');
    writeFileSync(cut, readFileSync(full).subarray(0, Math.floor(statSync(full).size / 2)));
    await assert.rejects(collect(cut), new RegExp(`Failed to open video ${cut}: .*moov atom not found`));
  });

  test('a truncated file whose index survives is read up to the cut, with a warning naming it', async () => {
    const full = join(dir, 'full.mkv');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=25',
      '-vf',
      'noise=alls=60:allf=t',
      '-frames:v',
      '40',
      '-c:v',
      'libx264',
      full,
    ]);
    const cut = join(dir, 'cut.mkv');
    writeFileSync(cut, readFileSync(full).subarray(0, Math.floor(statSync(full).size / 2)));
    const warnings: string[] = [];
    const frames = (await collect(cut, 1, {}, (m) => warnings.push(m))).length;
    assert.ok(frames > 0 && frames < 40, `${frames} frames`);
    assert.match(warnings.join('\n'), new RegExp(`${cut}: video ended at frame ${frames} of 40 \\(ffmpeg: .*\\)`));
  });

  test('a file with no video stream, and one that is not media at all, are errors naming them', async () => {
    const audio = join(dir, 'sound.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=0.3', '-c:a', 'aac', audio]);
    await assert.rejects(collect(audio), new RegExp(`${audio} has no video stream \\(ffprobe found only audio stream`));
    const junk = join(dir, 'junk.avi');
    writeFileSync(junk, 'not a video at all');
    await assert.rejects(collect(junk), new RegExp(`Failed to open video ${junk}: `));
  });

  test('an unreachable stream URL is an error naming it', async () => {
    await assert.rejects(
      collect('rtsp://127.0.0.1:1/cam'),
      /1\/1: rtsp:\/\/127\.0\.0\.1:1\/cam\.\.\. Failed to open video rtsp:\/\/127\.0\.0\.1:1\/cam: .*Connection refused/,
    );
    await assert.rejects(
      collect('http://127.0.0.1:1/clip.mp4'),
      /Failed to open video http:\/\/127\.0\.0\.1:1\/clip\.mp4: .*Connection refused/,
    );
  });
});
