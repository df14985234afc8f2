// The memory rules: scopes free what they create except what they return, keep() opts out, module calls
// are scopes, errors free everything, `using` and dispose() free at once, the GC is only a backstop.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as torch from '@yolots/torch';

const { nn, F } = torch;
type Tensor = torch.Tensor;

/** Asserts that `fn` leaves the live-tensor count where it found it. */
function noLeak<T>(fn: () => T): T {
  const before = torch.liveTensors();
  const result = fn();
  assert.equal(torch.liveTensors(), before, 'live tensors changed');
  return result;
}

describe('tidy', () => {
  test('frees every intermediate; the returned tensor is owned by the caller', () => {
    const before = torch.liveTensors();
    let intermediate: Tensor | undefined;
    const out = torch.tidy(() => {
      intermediate = torch.ones([4]).mul(2);
      return intermediate.add(1).sum();
    });
    assert.equal(torch.liveTensors(), before + 1);
    assert.equal(intermediate?.isDisposed, true);
    assert.equal(out.item(), 12);
    out.dispose();
    assert.equal(torch.liveTensors(), before);
  });

  test('nested: inner results move to the parent scope and die with it unless returned further', () =>
    noLeak(() => {
      const outerDepth = torch.scopeDepth();
      let inner: Tensor | undefined;
      let innerTemp: Tensor | undefined;
      const kept = torch.tidy(() => {
        assert.equal(torch.scopeDepth(), outerDepth + 1);
        inner = torch.tidy(() => {
          assert.equal(torch.scopeDepth(), outerDepth + 2);
          innerTemp = torch.full([2], 3);
          return innerTemp.mul(innerTemp);
        });
        assert.equal(innerTemp?.isDisposed, true);
        assert.equal(inner.isDisposed, false, 'returned tensor survives into the parent scope');
        return inner.sum();
      });
      assert.equal(inner?.isDisposed, true, 'freed when the parent scope ended');
      assert.equal(kept.item(), 18);
      kept.dispose();
    }));

  test('returned arrays, plain objects and Maps of tensors all survive; the rest is freed', () =>
    noLeak(() => {
      const result = torch.tidy(() => {
        const a = torch.ones([1]);
        torch.zeros([100]);
        return { list: [a, a.mul(2)], nested: { map: new Map([['x', a.mul(3)]]) }, label: 'kept' };
      });
      assert.equal(result.label, 'kept');
      assert.deepEqual(
        [...result.list, result.nested.map.get('x') as Tensor].map((t) => t.item()),
        [1, 2, 3],
      );
      torch.dispose(result);
      assert.ok(result.list.every((t) => t.isDisposed));
    }));

  test('returning a tensor from an outer scope, or an in-place result, leaves it alone', () =>
    noLeak(() => {
      const x = torch.zeros([2]);
      const same = torch.tidy(() => x.add_(1));
      assert.equal(same, x);
      const passthrough = torch.tidy(() => torch.tidy(() => x));
      assert.equal(passthrough.isDisposed, false);
      assert.deepEqual(x.toArray(), [1, 1]);
      x.dispose();
    }));

  test('an exception frees everything the scope made (nested scopes included) and propagates unchanged', () =>
    noLeak(() => {
      const made: Tensor[] = [];
      const failure = new Error('boom');
      assert.throws(
        () =>
          torch.tidy(() => {
            made.push(torch.ones([3]));
            made.push(torch.tidy(() => torch.ones([3]).mul(2)));
            made.push(torch.ones([2]).add(1));
            throw failure;
          }),
        (e) => e === failure,
      );
      assert.ok(made.every((t) => t.isDisposed));
      assert.equal(torch.scopeDepth(), 0);
    }));

  test('a libtorch error inside a scope frees the scope too', () =>
    noLeak(() => {
      assert.throws(() => torch.tidy(() => torch.ones([2]).add(torch.ones([3]))), /must match the size/);
    }));

  test('a callback returning a Promise is refused and its tensors are freed', () =>
    noLeak(() => {
      let made: Tensor | undefined;
      assert.throws(
        () =>
          // @ts-expect-error a Promise-returning fn does not compile (Synchronous); JavaScript callers get the TypeError
          torch.tidy(() => {
            made = torch.ones([2]);
            return Promise.resolve(made);
          }),
        /fn returned a Promise; scopes must be synchronous/,
      );
      assert.equal(made?.isDisposed, true);
      assert.equal(torch.scopeDepth(), 0);
    }));
});

describe('keep, dispose, using, GC', () => {
  test('keep() takes a tensor out of its scope until dispose()', () =>
    noLeak(() => {
      let cache: Tensor | undefined;
      torch.tidy(() => {
        cache = torch.arange(0, 3).keep();
        torch.keep({ also: [torch.ones([1])] }).also[0]?.dispose();
      });
      assert.equal(cache?.isDisposed, false);
      assert.deepEqual(cache?.toArray(), [0, 1, 2]);
      cache?.dispose();
      cache?.dispose(); // idempotent
      assert.equal(cache?.isDisposed, true);
    }));

  test('replacing kept state: dispose the old tensor when the new one is kept', () =>
    noLeak(() => {
      let ema = torch.zeros([3]).keep();
      for (let i = 0; i < 5; i++) {
        const next = torch.tidy(() => ema.mul(0.9).add(torch.ones([3]).mul(0.1))).keep();
        ema.dispose();
        ema = next;
      }
      assert.ok(Math.abs(ema.toArray()[0]! - (1 - 0.9 ** 5)) < 1e-6);
      ema.dispose();
    }));

  test('`using` frees a tensor at the end of the block (Symbol.dispose)', () =>
    noLeak(() => {
      let escaped: Tensor | undefined;
      {
        using t = torch.ones([8]);
        escaped = t;
        assert.equal(
          torch.tidy(() => t.sum().item()),
          8,
        );
      }
      assert.equal(escaped.isDisposed, true);
    }));

  test('dispose() walks arrays, objects and Maps', () =>
    noLeak(() => {
      const bag = { a: torch.ones([1]), b: [torch.ones([1]), new Map([['c', torch.ones([1])]])] };
      torch.dispose(bag);
      assert.equal(bag.a.isDisposed, true);
    }));

  test('the GC frees an unreachable tensor nobody disposed (a backstop, not the rule)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const before = torch.liveTensors();
    (() => {
      torch.ones([1000]);
    })();
    assert.equal(torch.liveTensors(), before + 1);
    for (let i = 0; i < 20 && torch.liveTensors() > before; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(torch.liveTensors(), before);
  });
});

describe('what V8 is told (external memory)', () => {
  const MiB = 1 << 20;
  const external = (): number => torch.memoryStats().gcOwnedBytes;

  test('only tensors whose lifetime the GC decides are reported, and withdrawn on dispose', () => {
    const start = external();
    const owned = torch.zeros([(4 * MiB) / 4]); // 4 MiB at top level: the user's or the GC's
    assert.equal(external() - start, 4 * MiB, 'a top-level tensor is reported');
    owned.dispose();
    assert.equal(external() - start, 0, 'dispose withdraws the report');

    let kept: Tensor | undefined;
    const returned = torch.tidy(() => {
      torch.zeros([(16 * MiB) / 4]).add(1); // dies with the scope: never reported
      kept = torch.zeros([MiB / 4]).keep();
      assert.equal(external() - start, MiB, 'inside a scope only the kept tensor counts');
      return torch.zeros([(2 * MiB) / 4]);
    });
    assert.equal(external() - start, 3 * MiB, 'the kept and the returned tensor count');
    returned.dispose();
    kept?.dispose();
    assert.equal(external() - start, 0);
  });

  test('a loop that never disposes stays bounded: V8 collects the tensors it was told about', async () => {
    const before = torch.liveTensors();
    torch.resetPeakMemory();
    const base = torch.memoryStats().nativeBytes;
    for (let i = 0; i < 64; i++) {
      torch.zeros([(16 * MiB) / 4]); // 16 MiB each, 1 GiB in all, never disposed
      await new Promise((resolve) => setImmediate(resolve));
    }
    const peak = torch.memoryStats().peakNativeBytes - base;
    assert.ok(peak < 512 * MiB, `peak ${(peak / MiB).toFixed(0)} MiB for 1024 MiB allocated`);
    assert.ok(torch.liveTensors() < before + 32);
  });
});

describe('what the allocator keeps', () => {
  const MiB = 1 << 20;
  const rss = (): number => process.memoryUsage().rss;

  test('freed memory is kept for reuse (no page faults next step) until releaseMemory() returns it', () => {
    const big = (): void => {
      torch.tidy(() => {
        torch.ones([64 * MiB]); // 256 MiB, touched
      });
    };
    big();
    const kept = rss();
    const faultsBefore = process.resourceUsage().minorPageFault;
    big(); // the same allocation again: served from the kept memory
    const faults = process.resourceUsage().minorPageFault - faultsBefore;
    assert.ok(faults < 16384, `${faults} page faults re-allocating 256 MiB (65536 pages)`);
    assert.equal(torch.releaseMemory(), true);
    const released = kept - rss();
    assert.ok(released > 200 * MiB, `releaseMemory() returned ${(released / MiB).toFixed(0)} MiB to the OS`);
  });
});

class TwoLayer extends nn.Module {
  readonly intermediates: Tensor[] = [];
  private readonly a: torch.nn.Conv2d;
  private readonly b: torch.nn.Conv2d;

  constructor() {
    super();
    this.a = this.registerModule('a', new nn.Conv2d(2, 4, 3, { padding: 1 }));
    this.b = this.registerModule('b', new nn.Conv2d(4, 2, 1));
  }

  forward(x: Tensor): Tensor {
    const hidden = F.silu(this.a.call(x));
    this.intermediates.push(hidden);
    return this.b.call(hidden);
  }
}

describe('modules and gradients in scopes', () => {
  test('Module.call is a scope: intermediates freed, output returned to the caller', () => {
    const model = new TwoLayer();
    noLeak(() => {
      const x = torch.rand([1, 2, 5, 5]);
      const before = torch.liveTensors();
      const y = model.call(x);
      assert.equal(torch.liveTensors(), before + 1);
      assert.equal(model.intermediates[0]?.isDisposed, true);
      assert.deepEqual(y.shape, [1, 2, 5, 5]);
      y.dispose();
      x.dispose();
    });
    model.dispose();
  });

  test('backward through a module call works after its intermediates were freed', () => {
    const model = new TwoLayer();
    noLeak(() =>
      torch.tidy(() => {
        const x = torch.rand([1, 2, 5, 5], { requiresGrad: true });
        model.call(x).pow(2).mean().backward();
        assert.ok((x.grad?.abs().sum().item() as number) > 0);
        for (const p of model.parameters()) assert.ok(p.grad !== null);
      }),
    );
    model.zeroGrad();
    model.dispose();
  });

  test('reading .grad inside a scope gives a handle freed with the scope; the gradient stays on the parameter', () => {
    const p = torch.ones([3], { requiresGrad: true }).keep();
    noLeak(() =>
      torch.tidy(() =>
        p
          .mul(torch.tensor([1, 2, 3]))
          .sum()
          .backward(),
      ),
    );
    const sums = noLeak(() =>
      torch.tidy(() => {
        const g = p.grad as Tensor;
        const s = g.sum().item();
        g.mul_(2); // in place on the real gradient, as clipGradNorm does
        return s;
      }),
    );
    assert.equal(sums, 6);
    const g = p.grad as Tensor; // top level: the caller owns this handle
    assert.deepEqual(g.toArray(), [2, 4, 6]);
    g.dispose();
    assert.equal(p.grad?.isDisposed, false);
    torch.tidy(() => p.grad?.sum());
    p.grad = null;
    p.dispose();
  });

  test('a training step in a scope leaves only the kept state behind', () => {
    const model = new TwoLayer();
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const step = (): void => {
      torch.tidy(() => {
        opt.zeroGrad();
        F.mseLoss(model.call(torch.rand([2, 2, 5, 5])), torch.zeros([2, 2, 5, 5])).backward();
        opt.step();
      });
      model.intermediates.length = 0;
    };
    step();
    const afterFirst = torch.liveTensors();
    for (let i = 0; i < 3; i++) noLeak(step);
    assert.equal(torch.liveTensors(), afterFirst);
    for (const s of opt.state.values()) for (const v of s.values()) if (typeof v !== 'number') v.dispose();
    model.dispose();
  });
});
