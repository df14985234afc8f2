// A data.yaml's `download:` .zip URL is fetched and unpacked when the val images are missing (served locally);
// bash or Python `download:` values are never executed, and a zip entry escaping its folder is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipInto } from '../src/data/dataset-download.js';
import { checkDetDataset } from '../src/data/dataset-yaml.js';
import { type AssetServer, startAssetServer } from './asset-server.js';

/** A zip of `files` (name → text), written by Python's zipfile (deflated), as dataset archives are. */
function makeZip(files: Record<string, string>): Buffer {
  const code =
    'import io, json, sys, zipfile\nb = io.BytesIO()\nwith zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:\n    for k, v in json.load(sys.stdin).items(): z.writestr(k, v)\nsys.stdout.buffer.write(b.getvalue())';
  const result = spawnSync('python3', ['-c', code], { input: JSON.stringify(files), maxBuffer: 1 << 24 });
  assert.equal(result.status, 0, String(result.stderr));
  return result.stdout;
}

describe('dataset download:', () => {
  let server: AssetServer;
  const zip = makeZip({
    'tiny/images/val/a.jpg': 'jpeg',
    'tiny/labels/val/a.txt': '0 0.5 0.5 0.1 0.1\n',
    'tiny/images/train/b.jpg': 'jpeg',
  });

  before(async () => {
    server = await startAssetServer({ 'tiny.zip': zip });
  });
  after(() => server.close());

  function writeYaml(download: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'yolots-dl-'));
    const file = join(dir, 'tiny.yaml');
    writeFileSync(file, `path: tiny\ntrain: images/train\nval: images/val\nnames: [thing]\ndownload: ${download}\n`);
    return file;
  }

  test('a .zip URL is downloaded and unpacked beside the dataset root, then the yaml checks', () => {
    const file = writeYaml(`${server.url}/ok/tiny.zip`);
    const data = checkDetDataset(file);
    assert.equal(data.path, join(file, '..', 'tiny'));
    assert.equal(readFileSync(join(data.path, 'labels', 'val', 'a.txt'), 'utf8'), '0 0.5 0.5 0.1 0.1\n');
    assert.deepEqual(readdirSync(join(file, '..')).sort(), ['tiny', 'tiny.yaml']);
    const requests = server.requests();
    checkDetDataset(file);
    assert.equal(server.requests(), requests, 'present images are not downloaded again');
  });

  test('bash and Python download: values are refused, not run', () => {
    const marker = join(tmpdir(), `yolots-never-${process.pid}`);
    for (const download of [`bash -c 'touch ${marker}'`, `"import os; open('${marker}', 'w')"`]) {
      assert.throws(() => checkDetDataset(writeYaml(download)), /not a URL of a \.zip archive\. yolots runs no download scripts or code/);
    }
    assert.ok(!existsSync(marker));
  });

  test('a zip entry escaping its folder is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yolots-unzip-'));
    assert.throws(() => unzipInto(makeZip({ '../evil.txt': 'x' }), join(dir, 'in'), 'evil.zip'), /entry '\.\.\/evil\.txt' points outside/);
    assert.ok(!existsSync(join(dir, 'evil.txt')));
  });

  test('a failed download names the URL', () => {
    assert.throws(
      () => checkDetDataset(writeYaml(`${server.url}/ok/other.zip`)),
      /Download failure for http:\/\/127\.0\.0\.1:\d+\/ok\/other\.zip: HTTP 404/,
    );
  });
});
