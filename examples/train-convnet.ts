// A small conv net learns to tell horizontal from vertical stripes: @yolots/torch end to end
// (tensors, autograd, nn, optim, scopes). Prints the falling loss.
import * as torch from '@yolots/torch';

const { nn, F, optim, tidy } = torch;

class StripeNet extends nn.Module {
  conv1 = this.registerModule('conv1', new nn.Conv2d(1, 8, 3, { padding: 1 }));
  bn1 = this.registerModule('bn1', new nn.BatchNorm2d(8));
  conv2 = this.registerModule('conv2', new nn.Conv2d(8, 16, 3, { stride: 2, padding: 1 }));
  head = this.registerModule('head', new nn.Linear(16, 2));

  forward(x: torch.Tensor): torch.Tensor {
    const h = F.silu(this.conv2.call(F.silu(this.bn1.call(this.conv1.call(x)))));
    return this.head.call(h.mean([2, 3]));
  }
}

/** A batch of noisy 16x16 images: label 0 = horizontal stripes, 1 = vertical. */
function makeBatch(size: number): { x: torch.Tensor; y: torch.Tensor } {
  return tidy(() => {
    const y = torch.randint(0, 2, [size]);
    const ramp = torch.arange(16).remainder(4).lt(2).float();
    const horizontal = ramp.view(1, 1, 16, 1).expand(size, 1, 16, 16);
    const vertical = ramp.view(1, 1, 1, 16).expand(size, 1, 16, 16);
    const isVertical = y.view(size, 1, 1, 1).bool();
    const x = torch.where(isVertical, vertical, horizontal).add(torch.randn([size, 1, 16, 16]).mul(0.5));
    return { x, y };
  });
}

torch.manualSeed(0);
const model = new StripeNet();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
for (let step = 1; step <= 60; step++) {
  const loss = tidy(() => {
    const { x, y } = makeBatch(32);
    const loss = F.crossEntropy(model.call(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    return loss.item();
  });
  if (step % 10 === 0) console.log(`step ${step}  loss ${loss.toFixed(4)}  live tensors ${torch.liveTensors()}`);
}
