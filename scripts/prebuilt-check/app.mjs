// A user's program with plain `node` on the prebuilt addon: conv (oneDNN), matmul (OpenBLAS), autograd and an
// optimizer step, checked against values known in closed form; then where each library was mapped from.
import { readFileSync } from 'node:fs';
import * as torch from '@yolots/torch';

const { nn, F, optim } = torch;
torch.manualSeed(0);

// d/dw sum(x @ w) = x^T @ ones: a closed-form gradient through BLAS's matmul.
torch.tidy(() => {
  const x = torch.arange(0, 6, 1, { dtype: 'float32' }).view(2, 3);
  const w = torch.ones([3, 4], { requiresGrad: true });
  x.matmul(w).sum().backward();
  const expected = [3, 5, 7].flatMap((v) => [v, v, v, v]);
  const got = Array.from(w.grad?.toArray() ?? []);
  if (got.join() !== expected.join()) throw new Error(`matmul gradient ${got} != ${expected}`);
});

// A conv net trained on one fixed batch: the loss must fall.
const conv = new nn.Conv2d(3, 8, 3, { padding: 1 });
const head = new nn.Conv2d(8, 1, 1);
const params = [...conv.parameters(), ...head.parameters()];
const optimizer = new optim.SGD(params, { lr: 0.05, momentum: 0.9 });
const x = torch.rand([4, 3, 16, 16]);
const losses = [];
for (let step = 0; step < 5; step++) {
  losses.push(
    torch.tidy(() => {
      optimizer.zeroGrad();
      const loss = head
        .call(F.relu(conv.call(x)))
        .sub(1)
        .pow(2)
        .mean();
      loss.backward();
      optimizer.step();
      return loss.item();
    }),
  );
}
if (!(losses[4] < losses[0])) throw new Error(`the loss did not fall: ${losses}`);

// Every libtorch library this process mapped must come from the prebuilt package, none from the system.
const maps = readFileSync('/proc/self/maps', 'utf8');
const mapped = [
  ...new Set(
    maps
      .split('\n')
      .map((line) => line.split(/\s+/)[5] ?? '')
      .filter((p) => p.includes('.so') || p.endsWith('.node')),
  ),
];
const ours = mapped.filter((p) => p.includes('@yolots/torch-linux-x64/lib/'));
const torchLibs = mapped.filter((p) => /lib(torch|c10|dnnl|openblas)/.test(p));
const foreign = torchLibs.filter((p) => !ours.includes(p));
if (foreign.length > 0 || !ours.some((p) => p.endsWith('yolots_torch.node'))) throw new Error(`not from the prebuilt: ${foreign}`);
console.log(
  `app.mjs: matmul gradient exact; conv loss ${losses[0].toFixed(4)} -> ${losses[4].toFixed(4)} in 5 SGD steps; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
);
console.log(`app.mjs: ${ours.length} files mapped from @yolots/torch-linux-x64/lib, ${mapped.length - ours.length} from elsewhere:`);
for (const p of mapped.filter((p) => !ours.includes(p))) console.log(`  ${p}`);
