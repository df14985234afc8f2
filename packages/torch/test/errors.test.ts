// Every failure is a catchable JS Error carrying a message that says what was wrong (libtorch's own message
// for operator failures), never a process abort — and a failed call leaks nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';

const { F, nn } = torch;

/** Asserts `fn` throws an Error whose message matches `pattern`, without changing the live-tensor count. */
function fails(fn: () => unknown, pattern: RegExp): void {
  const before = torch.liveTensors();
  let caught: unknown;
  try {
    torch.tidy(() => {
      fn();
    });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, `expected an Error matching ${pattern}, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  assert.equal(torch.liveTensors(), before, `leaked tensors after: ${caught.message}`);
}

describe('shape errors', () => {
  test('broadcasting, matmul, view, cat, conv input channels', () => {
    fails(
      () => torch.ones([2, 3]).add(torch.ones([4])),
      /The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1/,
    );
    fails(() => torch.ones([2, 3]).matmul(torch.ones([2, 3])), /cannot be multiplied \(2x3 and 2x3\)/);
    fails(() => torch.ones([6]).view(4), /shape '\[4\]' is invalid for input of size 6/);
    fails(() => torch.cat([torch.ones([2, 3]), torch.ones([2, 4])]), /Sizes of tensors must match except in dimension 0/);
    fails(
      () => F.conv2d(torch.ones([1, 3, 8, 8]), torch.ones([4, 2, 3, 3])),
      /expected input\[1, 3, 8, 8\] to have 2 channels, but got 3 channels/,
    );
    fails(() => torch.ones([2, 2]).expand(3, 3), /The expanded size of the tensor \(3\) must match the existing size \(2\)/);
  });

  test('JS-side shape checks: tensor(), fromBytes, size(), unflatten of a bad nested array', () => {
    fails(() => torch.tensor([[1, 2], [3]]), /not rectangular \(shape \[2,2\] needs 4 values, got 3\)/);
    fails(() => torch.fromBytes(new Uint8Array(6), 'float32', [2]), /6 bytes for shape \[2\] of float32 \(needs 8\)/);
    fails(() => torch.ones([2, 3]).size(2), /size\(2\): tensor has 2 dimensions/);
    fails(() => torch.ones([3]).item(), /a Tensor with 3 elements cannot be converted to Scalar/);
  });
});

describe('dtype errors', () => {
  test('index tensors must be int64, matmul operands must agree, unknown dtypes are named', () => {
    fails(() => torch.ones([2, 3]).gather(1, torch.zeros([2, 1])), /gather\(\): Expected dtype int64 for index/);
    fails(
      () => torch.ones([2, 2]).matmul(torch.ones([2, 2], { dtype: 'float64' })),
      /expected (scalar type|m1 and m2 to have the same dtype).*(Float|Double)/i,
    );
    fails(() => torch.ones([2], { dtype: 'float128' as torch.DType }), /unknown dtype 'float128'; expected one of .*float32/);
    fails(() => torch.ones([2]).to('float8' as torch.DType), /float8/);
    fails(() => torch.ones([2], { dtype: 'int64', requiresGrad: true }), /Only Tensors of floating point .* can require gradients/);
    fails(
      () =>
        torch
          .ones([2])
          .bool()
          .sub(torch.ones([2]).bool()),
      /Subtraction, the `-` operator, with two bool tensors is not supported/,
    );
  });
});

describe('index errors', () => {
  test('select, indexSelect, gather, i(), index put out of range', () => {
    fails(() => torch.ones([3]).select(0, 5), /select\(\): index 5 out of range for tensor of size \[3\] at dimension 0/);
    fails(() => torch.ones([3, 2]).indexSelect(0, torch.tensor([0, 7], { dtype: 'int64' })), /index out of range in self/);
    fails(
      () => torch.ones([2, 3]).gather(1, torch.tensor([[0], [9]], { dtype: 'int64' })),
      /index 9 is out of bounds for dimension 1 with size 3/,
    );
    fails(() => torch.ones([2, 3]).i(0, 4), /index 4 out of range for tensor of size \[3\]/);
    fails(() => torch.ones([2, 3]).i(':', ':', 0), /too many indices|Dimension out of range/);
    fails(() => torch.ones([3]).iSet([torch.tensor([5], { dtype: 'int64' })], 1), /index 5 is out of bounds for dimension 0 with size 3/);
    fails(() => torch.ones([2, 2]).sum(3), /Dimension out of range \(expected to be in range of \[-2, 1\], but got 3\)/);
  });

  test('malformed slice strings are SyntaxErrors naming the slice', () => {
    fails(() => torch.ones([4]).i('1:x'), /bad slice '1:x': 'x' is not an integer/);
    fails(() => torch.ones([4]).i('1:2:3:4'), /bad slice '1:2:3:4'/);
    fails(() => torch.ones([4]).i('::0'), /bad slice '::0': step must be positive/);
  });
});

describe('device errors', () => {
  test('CUDA on a build without it', { skip: torch.cudaAvailable() ? 'this libtorch has CUDA devices' : false }, () => {
    assert.equal(torch.cudaDeviceCount(), 0);
    fails(() => torch.ones([2]).to('cuda'), /cuda/i);
    fails(() => torch.ones([2]).cuda(), /cuda/i);
    fails(() => torch.zeros([2], { device: 'cuda:0' }), /cuda/i);
    fails(() => torch.ones([2]).to('tpu'), /device|tpu/i);
    fails(() => torch.cuda.memGetInfo(0), /cuda\.memGetInfo: no CUDA device is available/);
  });

  test('cuda.memGetInfo on a CUDA device: free within total', { skip: torch.cuda.isAvailable() ? false : 'no CUDA device' }, () => {
    const [free, total] = torch.cuda.memGetInfo(0);
    assert.ok(total > 0 && free > 0 && free <= total, `free ${free} of ${total}`);
    fails(() => torch.cuda.memGetInfo(torch.cuda.deviceCount()), /does not exist/);
  });

  test('cuda.memoryReserved is undefined from a CPU-only build', { skip: torch.cuda.isBuilt() ? 'a CUDA build' : false }, () => {
    assert.equal(torch.cuda.memoryReserved(0), undefined, 'no CUDA allocator to ask');
  });

  test('cuda.memoryReserved on a CUDA device holds what a tensor took', {
    skip: torch.cuda.isAvailable() ? false : 'no CUDA device',
  }, () => {
    const x = torch.ones([1024, 1024], { device: 'cuda:0' });
    assert.ok((torch.cuda.memoryReserved(0) ?? 0) >= 4 * 1024 * 1024, 'a 4 MB tensor is held by the allocator');
    x.dispose();
    fails(() => torch.cuda.memoryReserved(torch.cuda.deviceCount()), /does not exist/);
  });
});

describe('lifetime errors', () => {
  test('using a disposed tensor, as receiver or as argument, or reading its metadata', () => {
    const t = torch.ones([2]);
    t.dispose();
    assert.equal(t.toString(), 'Tensor(disposed)');
    fails(() => t.add(1), /this Tensor was disposed and can no longer be used/);
    fails(() => torch.ones([2]).add(t), /this Tensor was disposed and can no longer be used/);
    fails(() => t.shape, /this Tensor was disposed/);
    fails(() => t.toArray(), /this Tensor was disposed/);
    fails(() => torch.cat([torch.ones([1]), t]), /this Tensor was disposed/);
  });

  test('tidy refuses async callbacks', () => {
    // @ts-expect-error an async fn does not compile (Synchronous); JavaScript callers get the TypeError
    fails(() => torch.tidy(async () => torch.ones([1])), /fn returned a Promise; scopes must be synchronous/);
  });

  test('a parameter freed by its module cannot be trained', () => {
    const conv = new nn.Conv2d(1, 1, 1);
    conv.dispose();
    fails(() => conv.call(torch.ones([1, 1, 2, 2])), /this Tensor was disposed/);
  });
});

describe('autograd and API misuse', () => {
  test('backward errors', () => {
    fails(() => torch.ones([2], { requiresGrad: true }).mul(2).backward(), /grad can be implicitly created only for scalar outputs/);
    fails(() => torch.ones([2]).sum().backward(), /element 0 of tensors does not require grad and does not have a grad_fn/);
  });

  test('operator lookup and arguments', () => {
    fails(() => torch.callOp('no_such_op_anywhere', [torch.ones([1])]), /no_such_op_anywhere/);
    fails(() => torch.callOp('add.NoSuchOverload', [torch.ones([1])]), /NoSuchOverload/);
    fails(() => torch.callOp('add.Tensor', ['not a tensor', 1]), /Tensor|expected/i);
    fails(() => F.interpolate(torch.ones([1, 1, 2, 2]), { size: 4, scaleFactor: 2 }), /give exactly one of size and scaleFactor/);
    fails(() => F.pad(torch.ones([1, 1, 2, 2]), [1, 1], 'reflect'), /mode 'reflect' supports 4 padding values \(2-D\), got 2/);
  });

  test('module construction and registration', () => {
    fails(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /channels \(3 in, 4 out\) must be divisible by groups \(2\)/);
    fails(() => new nn.Sequential().registerBuffer('a.b', null), /invalid module\/parameter name 'a.b'/);
    fails(() => new nn.ModuleList([]).forward(), /ModuleList is a container and cannot be called/);
    fails(() => new nn.Identity().setParameter('weight', null), /Identity has no parameter 'weight'/);
  });

  test('BatchNorm2d training on one value per channel is refused, as in PyTorch', () => {
    const bn = new nn.BatchNorm2d(2);
    try {
      fails(() => bn.call(torch.rand([1, 2, 1, 1])), /Expected more than 1 value per channel when training, got input size \[1, 2, 1, 1\]/);
    } finally {
      bn.dispose();
    }
  });
});
