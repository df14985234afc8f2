# PyTorch twin of yolov8n-shaped.ts: Ultralytics' yolov8n (nc=80) layers in training mode, with the same
# state-dict names and shapes, so weights exported from the TypeScript model load here one to one.
# Used by the benchmark (bench/torch-yolov8n.py) and the Python cross-check test of @yolots/torch.
import torch
import torch.nn as nn


class Conv(nn.Module):
    """conv (no bias, 'same' padding) -> BatchNorm2d(eps 1e-3, momentum 0.03) -> SiLU, as Ultralytics' Conv."""

    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        # Out of place, like the TypeScript model, so both run the same kernels.
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut):
        super().__init__()
        self.cv1 = Conv(c, c, 3)
        self.cv2 = Conv(c, c, 3)
        self.shortcut = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.shortcut else y


class C2f(nn.Module):
    def __init__(self, c1, c2, n, shortcut):
        super().__init__()
        c = c2 // 2
        self.cv1 = Conv(c1, 2 * c, 1)
        self.cv2 = Conv((2 + n) * c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for block in self.m:
            y.append(block(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        hidden = c1 // 2
        self.cv1 = Conv(c1, hidden, 1)
        self.cv2 = Conv(hidden * 4, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class Concat(nn.Module):
    def forward(self, xs):
        return torch.cat(xs, 1)


class DetectRaw(nn.Module):
    def __init__(self, nc, ch):
        super().__init__()
        c2 = max(16, ch[0] // 4, 64)
        c3 = max(ch[0], min(nc, 100))

        def branch(c, width, out):
            return nn.Sequential(Conv(c, width, 3), Conv(width, width, 3), nn.Conv2d(width, out, 1))

        self.cv2 = nn.ModuleList(branch(c, c2, 64) for c in ch)
        self.cv3 = nn.ModuleList(branch(c, c3, nc) for c in ch)

    def forward(self, xs):
        return [torch.cat([self.cv2[i](x), self.cv3[i](x)], 1) for i, x in enumerate(xs)]


class YoloV8nShaped(nn.Module):
    def __init__(self, nc=80):
        super().__init__()
        up = lambda: nn.Upsample(None, 2, "nearest")  # noqa: E731
        self.model = nn.ModuleList([
            Conv(3, 16, 3, 2), Conv(16, 32, 3, 2), C2f(32, 32, 1, True), Conv(32, 64, 3, 2),  # 0-3
            C2f(64, 64, 2, True), Conv(64, 128, 3, 2), C2f(128, 128, 2, True), Conv(128, 256, 3, 2),  # 4-7
            C2f(256, 256, 1, True), SPPF(256, 256, 5), up(), Concat(), C2f(384, 128, 1, False),  # 8-12
            up(), Concat(), C2f(192, 64, 1, False), Conv(64, 64, 3, 2), Concat(),  # 13-17
            C2f(192, 128, 1, False), Conv(128, 128, 3, 2), Concat(), C2f(384, 256, 1, False),  # 18-21
            DetectRaw(nc, [64, 128, 256]),  # 22
        ])

    def forward(self, x):
        m = self.model
        saved = []
        for i in range(10):
            x = m[i](x)
            saved.append(x)
        h12 = m[12](m[11]([m[10](saved[9]), saved[6]]))
        p3 = m[15](m[14]([m[13](h12), saved[4]]))
        p4 = m[18](m[17]([m[16](p3), h12]))
        p5 = m[21](m[20]([m[19](p4), saved[9]]))
        return m[22]([p3, p4, p5])


def surrogate_loss(maps):
    """The benchmark's training loss: the sum over maps of mean(map^2)."""
    return sum(m.pow(2).mean() for m in maps)
