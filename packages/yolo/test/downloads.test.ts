// Weights by name: a release asset name that is not a local file is downloaded (retried, size-checked, atomic)
// into YOLOTS_WEIGHTS_DIR and loaded from there; failures name the URL and the manual alternative. Served locally.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { YOLO } from '../src/models/yolo/model.js';
import { assetUrl, attemptDownloadAsset, GITHUB_ASSETS_NAMES } from '../src/utils/downloads.js';
import { type AssetServer, startAssetServer } from './asset-server.js';

const FIXTURE = fileURLToPath(new URL('../../../../shared/fixtures/ultralytics/model.pt', import.meta.url));

describe('pretrained weights by name', () => {
  let server: AssetServer;
  let bytes: Buffer;
  const env = { dir: process.env.YOLOTS_WEIGHTS_DIR, url: process.env.YOLOTS_ASSETS_URL };

  before(async () => {
    bytes = readFileSync(FIXTURE);
    server = await startAssetServer({ 'yolov8n.pt': bytes, 'yolo11n.pt': bytes, 'yolo11s.pt': bytes });
  });
  after(async () => {
    await server.close();
    for (const [key, value] of [
      ['YOLOTS_WEIGHTS_DIR', env.dir],
      ['YOLOTS_ASSETS_URL', env.url],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  /** A fresh empty cache folder and the server mode to download from. */
  function useCache(mode: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'yolots-weights-'));
    process.env.YOLOTS_WEIGHTS_DIR = dir;
    process.env.YOLOTS_ASSETS_URL = `${server.url}/${mode}/`;
    return dir;
  }

  test("Ultralytics' release URL and names by default", () => {
    delete process.env.YOLOTS_ASSETS_URL;
    assert.equal(assetUrl('yolo11n.pt'), 'https://github.com/ultralytics/assets/releases/download/v8.4.0/yolo11n.pt');
    for (const name of ['yolov8n.pt', 'yolo11x-seg.pt', 'yolo26s.pt', 'yolo11n-cls.pt']) assert.ok(GITHUB_ASSETS_NAMES.has(name), name);
    assert.ok(!GITHUB_ASSETS_NAMES.has('yolov8n-pose.pt'), 'a task yolots does not run is not downloaded');
  });

  test("new YOLO('yolov8n.pt') downloads once into the cache and loads it", () => {
    const dir = useCache('ok');
    const before = server.requests();
    const model = new YOLO('yolov8n.pt');
    assert.equal(server.requests() - before, 1);
    assert.deepEqual(readFileSync(join(dir, 'yolov8n.pt')), bytes);
    assert.deepEqual(readdirSync(dir), ['yolov8n.pt'], 'no temporary file is left');
    assert.equal(Object.keys(model.names).length, 80);
    new YOLO('yolov8n.pt');
    assert.equal(server.requests() - before, 1, 'the second load reads the cache');
  });

  test('a 5xx answer is retried', () => {
    const dir = useCache('flaky');
    const before = server.requests();
    assert.equal(attemptDownloadAsset('yolo11n.pt'), join(dir, 'yolo11n.pt'));
    assert.equal(server.requests() - before, 2);
    assert.deepEqual(readFileSync(join(dir, 'yolo11n.pt')), bytes);
  });

  test('a cut-off download is retried, then fails naming the URL and the manual command, leaving no file', () => {
    const dir = useCache('truncated');
    const before = server.requests();
    const url = `${server.url}/truncated/yolo11s.pt`;
    assert.throws(
      () => attemptDownloadAsset('yolo11s.pt'),
      (error: Error) => {
        assert.ok(error.message.startsWith(`Download failure for ${url}:`), error.message);
        assert.match(error.message, /after 4 attempts/);
        assert.ok(error.message.includes(`curl -L -o '${join(dir, 'yolo11s.pt')}' '${url}'`), error.message);
        return true;
      },
    );
    assert.equal(server.requests() - before, 4);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a 404 is not retried', () => {
    useCache('ok');
    const before = server.requests();
    assert.throws(() => attemptDownloadAsset('yolo26n.pt'), /Download failure for http:\/\/127\.0\.0\.1:\d+\/ok\/yolo26n\.pt: HTTP 404/);
    assert.equal(server.requests() - before, 1);
  });

  test('offline: the error names the URL and how to download by hand', async () => {
    const dir = useCache('ok');
    // A port that was just free: nothing listens there, so the connection is refused.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    probe.close();
    process.env.YOLOTS_ASSETS_URL = `http://127.0.0.1:${port}/`;
    assert.throws(
      () => attemptDownloadAsset('yolo11n.pt'),
      (error: Error) => {
        assert.ok(
          error.message.startsWith(`Download failure for http://127.0.0.1:${port}/yolo11n.pt: connect ECONNREFUSED`),
          error.message,
        );
        assert.ok(error.message.includes(`curl -L -o '${join(dir, 'yolo11n.pt')}'`), error.message);
        return true;
      },
    );
    assert.ok(!existsSync(join(dir, 'yolo11n.pt')));
  });

  test('other missing names are not downloaded', () => {
    useCache('ok');
    const before = server.requests();
    assert.throws(() => new YOLO('my-model.pt'), /model weights not found: my-model\.pt/);
    assert.equal(server.requests(), before);
  });
});
