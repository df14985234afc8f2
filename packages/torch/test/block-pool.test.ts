// The tensor pool (YOLOTS_MALLOC=pool, the default): large tensors come from it and their memory is reused, best fit
// with free neighbours merged; small ones do not touch it; its memory is advised for huge pages; releaseMemory() hands
// free blocks' pages back; the other policies and bad settings, in child processes (the policy is fixed when the addon
// loads).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';

const MiB = 2 ** 20;

/** A float32 tensor of `bytes` bytes, all ones (every page touched). */
const tensorOf = (bytes: number): torch.Tensor => torch.ones([bytes / 4]).keep();

describe('tensor pool', () => {
  test('is the default policy', () => {
    assert.equal(torch.memoryStats().allocator, 'pool');
  });

  test('a freed large tensor is reused: the pool does not grow for the same tensor again', () => {
    const size = Math.max(32 * MiB, torch.memoryStats().poolFreeBytes + MiB);
    const a = tensorOf(size);
    const grown = torch.memoryStats().poolBytes;
    a.dispose();
    assert.ok(torch.memoryStats().poolFreeBytes >= size, 'the freed block is kept as free');
    const b = tensorOf(size);
    assert.equal(torch.memoryStats().poolBytes, grown);
    assert.deepEqual([b.min().item(), b.max().item()], [1, 1], 'a reused block holds the new values');
    b.dispose();
  });

  test('adjacent free blocks merge: two freed tensors make room for one of twice the size', () => {
    // Larger than any free block, so both come from the top of the pool, one after the other.
    const size = Math.max(16 * MiB, torch.memoryStats().poolFreeBytes + MiB);
    const a = tensorOf(size);
    const b = tensorOf(size);
    const grown = torch.memoryStats().poolBytes;
    a.dispose();
    b.dispose();
    const c = tensorOf(2 * size);
    assert.equal(torch.memoryStats().poolBytes, grown, 'served from the merged block');
    c.dispose();
  });

  test('small tensors do not come from the pool', () => {
    const before = torch.memoryStats();
    const small = Array.from({ length: 64 }, () => tensorOf(64 * 1024));
    const after = torch.memoryStats();
    assert.equal(after.poolBytes, before.poolBytes);
    assert.equal(after.poolFreeBytes, before.poolFreeBytes);
    torch.dispose(small);
  });

  const noThp = existsSync('/sys/kernel/mm/transparent_hugepage') ? false : 'kernel built without transparent huge pages';
  test("the pool's writable memory is advised for transparent huge pages (MADV_HUGEPAGE: 'hg' in its VmFlags)", {
    skip: noThp,
  }, () => {
    const t = tensorOf(8 * MiB);
    // /proc/self/smaps: a header line per mapping, then its fields; the pool is the one anonymous rw mapping of
    // 64 MiB or more (it grows by 64 MiB at a time) that carries the advice.
    const mappings = readFileSync('/proc/self/smaps', 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
    const advised = mappings.filter((m) => {
      const [start, end] = (m.split(' ')[0] as string).split('-').map((h) => BigInt(`0x${h}`)) as [bigint, bigint];
      const flags = /^VmFlags:(.*)$/m.exec(m)?.[1]?.trim().split(' ') ?? [];
      return m.split('\n')[0]?.includes(' rw-p ') && end - start >= 64n * BigInt(MiB) && flags.includes('hg');
    });
    assert.equal(advised.length, 1, 'one advised mapping: the pool');
    t.dispose();
  });

  test('releaseMemory() returns free blocks to the OS, and they are usable again', () => {
    const rss = (): number => process.memoryUsage().rss;
    const size = 256 * MiB;
    tensorOf(size).dispose();
    const kept = rss();
    assert.equal(torch.releaseMemory(), true);
    const released = kept - rss();
    assert.ok(released > 200 * MiB, `releaseMemory() returned ${(released / MiB).toFixed(0)} MiB to the OS`);
    const again = tensorOf(size);
    assert.deepEqual([again.min().item(), again.max().item()], [1, 1]);
    again.dispose();
  });
});

describe('YOLOTS_MALLOC', () => {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  /** The allocator a fresh process reports under `env`, or its error. */
  function allocatorUnder(env: Record<string, string>): { allocator: string; stderr: string; status: number | null } {
    const script = "const t = await import('@yolots/torch'); console.log(t.memoryStats().allocator);";
    const run = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    return { allocator: run.stdout.trim(), stderr: run.stderr, status: run.status };
  }

  test('heap and system are the other policies; YOLOTS_SYSTEM_MALLOC=1 is system', () => {
    assert.equal(allocatorUnder({ YOLOTS_MALLOC: 'heap' }).allocator, 'heap');
    assert.equal(allocatorUnder({ YOLOTS_MALLOC: 'system' }).allocator, 'system');
    assert.equal(allocatorUnder({ YOLOTS_SYSTEM_MALLOC: '1' }).allocator, 'system');
  });

  test('a bad setting fails the import with the variable named', () => {
    const bad = allocatorUnder({ YOLOTS_MALLOC: 'jemalloc' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /YOLOTS_MALLOC must be pool, heap or system, got 'jemalloc'/);
    const badMin = allocatorUnder({ YOLOTS_POOL_MIN_BYTES: '1MB' });
    assert.match(badMin.stderr, /YOLOTS_POOL_MIN_BYTES must be a positive number of bytes, got '1MB'/);
  });
});
