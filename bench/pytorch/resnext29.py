"""Plain ResNeXt-29 (the cifar10 preset's control: N = 10, d = 11, stages 256/512/1024) in PyTorch, timed like
`crx bench`'s training step: batch 32 of random 32x32 images, cross-entropy, SGD with Nesterov momentum, in float32 or
bfloat16 autocast, channels-first or channels-last. For comparing with `crx bench` in the same sitting:

    python3 bench/pytorch/resnext29.py --threads 2 --steps 10 --repeats 5
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, width, groups, stride):
        super().__init__()
        self.conv_reduce = nn.Conv2d(cin, width, 1, bias=False)
        self.bn_reduce = nn.BatchNorm2d(width)
        self.conv_conv = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.conv_expand = nn.Conv2d(width, cout, 1, bias=False)
        self.bn_expand = nn.BatchNorm2d(cout)
        self.shortcut = None
        if cin != cout or stride != 1:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn_reduce(self.conv_reduce(x)), inplace=True)
        h = F.relu(self.bn(self.conv_conv(h)), inplace=True)
        h = self.bn_expand(self.conv_expand(h))
        return F.relu(h + (x if self.shortcut is None else self.shortcut(x)), inplace=True)


class ResNeXt29(nn.Module):
    def __init__(self, classes=10, subnns=10, d=11):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True))
        blocks, cin = [], 64
        for stage, (cout, stride) in enumerate([(256, 1), (512, 2), (1024, 2)]):
            width = subnns * d * 2 ** stage
            for i in range(3):
                blocks.append(Block(cin, cout, width, subnns, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Linear(1024, classes, bias=False)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    for bf16 in (False, True):
        for channels_last in (False, True):
            net = ResNeXt29()
            images = torch.randn(args.batch, 3, 32, 32)
            labels = torch.randint(10, (args.batch,))
            if channels_last:
                net = net.to(memory_format=torch.channels_last)
                images = images.contiguous(memory_format=torch.channels_last)
            opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True)

            def step():
                opt.zero_grad()
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = F.cross_entropy(net(images), labels)
                loss.backward()
                opt.step()

            for _ in range(3):
                step()
            rates = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                for _ in range(args.steps):
                    step()
                rates.append(args.batch * args.steps / (time.perf_counter() - start))
            rates.sort()
            median = rates[len(rates) // 2]
            print(f"PyTorch {torch.__version__} plain ResNeXt-29, {'bf16' if bf16 else 'fp32'}, "
                  f"{'channels-last' if channels_last else 'channels-first'}: {median:.1f} img/s "
                  f"(min {rates[0]:.1f}, max {rates[-1]:.1f}, spread {(rates[-1] - rates[0]) / median:.0%})", flush=True)


if __name__ == "__main__":
    main()
