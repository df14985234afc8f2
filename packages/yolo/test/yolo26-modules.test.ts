// YOLO26's module options on their own: SPPF with 8.4's arguments, C3k2's attention variant, the end-to-end Detect
// head (branches, end2end switch, fuse), and the clear errors for what is not supported (YOLO26 seg/pose/obb).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { SPPF } from '../src/nn/modules/block.js';
import { C3k2, PSABlock } from '../src/nn/modules/block-yolo11.js';
import { Detect } from '../src/nn/modules/head.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { yamlModelLoad } from '../src/nn/yaml-model.js';
import type { EndToEndOutput } from '../src/utils/loss-e2e.js';

const { nn } = torch;

describe('YOLO26 modules', () => {
  test("SPPF with 8.4's arguments: act-less cv1, n poolings, residual; without them YOLOv8's", () => {
    const v8 = new SPPF(32, 32, 5);
    const v26 = new SPPF(32, 32, 5, 2, true);
    assert.ok(!(v8.cv1.act instanceof nn.Identity), 'YOLOv8 cv1 keeps SiLU');
    assert.ok(v26.cv1.act instanceof nn.Identity, 'YOLO26 cv1 has no activation');
    assert.equal(v26.cv2.conv.inChannels, 16 * 3, 'cv2 reads cv1 and n = 2 poolings');
    assert.equal(v26.add, true);
    assert.equal(new SPPF(32, 64, 5, 3, true).add, false, 'no residual when c1 ≠ c2');
    torch.tidy(() => {
      v26.eval();
      const x = torch.rand([1, 32, 8, 8]);
      const y = [v26.cv1.call(x)];
      for (let i = 0; i < 2; i++) y.push(v26.m.forward(y[y.length - 1] as torch.Tensor));
      const expected = v26.cv2.call(torch.cat(y, 1)).add(x);
      assert.ok(v26.call(x).sub(expected).abs().max().item() < 1e-6);
    });
  });

  test("C3k2's attention variant: Sequential(Bottleneck, PSABlock(c, 0.5, max(c // 64, 1)))", () => {
    const block = new C3k2(64, 64, 1, true, 0.5, true);
    const inner = block.m.at(0) as torch.nn.Sequential;
    const psa = inner.at(1);
    assert.ok(psa instanceof PSABlock);
    assert.equal(psa.attn.numHeads, 1);
    assert.deepEqual(
      [...block.stateDict().keys()].filter((k) => k.includes('attn.qkv.conv')),
      ['m.0.1.attn.qkv.conv.weight'],
    );
  });

  test('end-to-end Detect: one-to-one branch starts as a copy, sees detached features; end2end=false; fuse', () => {
    const head = new Detect(3, 1, true, [16, 32]);
    head.stride = [8, 16];
    assert.equal(head.regMax, 1);
    assert.ok(head.end2end);
    const a = head.cv2.stateDict();
    const b = (head.one2oneCv2 as torch.nn.ModuleList<torch.nn.Sequential>).stateDict();
    for (const [k, v] of a)
      assert.equal(
        torch.tidy(() =>
          v
            .sub(b.get(k) as torch.Tensor)
            .abs()
            .max()
            .item(),
        ),
        0,
        `${k} copied`,
      );
    const feats = [torch.rand([1, 16, 4, 4], { requiresGrad: true }), torch.rand([1, 32, 2, 2], { requiresGrad: true })];
    head.train();
    const out = head.call(feats) as EndToEndOutput;
    out.one2one.scores.sum().backward();
    assert.equal(feats[0]?.grad, null, 'no gradient from the one-to-one branch to the features');
    out.one2many.scores.sum().backward();
    assert.ok(feats[0]?.grad, 'the one-to-many branch reaches the features');
    head.eval();
    const [topk] = torch.noGrad(() => head.call(feats)) as [torch.Tensor, unknown];
    assert.deepEqual(topk.shape, [1, 20, 6], 'top-k of min(max_det, anchors) rows');
    head.end2end = false;
    const [decoded] = torch.noGrad(() => head.call(feats)) as [torch.Tensor, unknown];
    assert.deepEqual(decoded.shape, [1, 7, 20], 'one-to-many decoded for NMS');
    head.end2end = true;
    head.fuseHead();
    assert.equal(head.getModule('cv2'), undefined);
    assert.throws(() => {
      head.end2end = false;
    }, /fused end-to-end head/);
    const v8head = new Detect(3, [16, 32]);
    assert.throws(() => {
      v8head.end2end = true;
    }, /no one-to-one branch/);
  });

  test("YOLO26's segment, pose and obb models give a clear error", () => {
    for (const name of ['yolo26n-seg.yaml', 'yolo26s-pose.yaml', 'yolo26-obb.yaml']) {
      assert.throws(() => yamlModelLoad(name), /YOLO26's (seg|pose|obb) models are not supported by yolots yet/);
    }
    const yaml = { ...yamlModelLoad('yolov8n-seg.yaml'), end2end: true, reg_max: 1 };
    assert.throws(() => new DetectionModel(yaml, { verbose: false }), /supports for Detect heads only, not Segment/);
  });
});
