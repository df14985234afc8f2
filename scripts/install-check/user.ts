// A user's TypeScript against the shipped .d.ts files under strict settings (see tsconfig.json).
import { DetectionTrainer, type Results, torch, YOLO } from 'yolots';

class LoudTrainer extends DetectionTrainer {
  override async train(): Promise<void> {
    console.log('training');
    await super.train();
  }
}

export async function main(): Promise<number> {
  const model = new YOLO('yolov8n.yaml');
  const results: Results[] = await model.predict('image.jpg');
  const t: torch.Tensor = torch.zeros([2, 3]);
  const first = results[0];
  return (first ? (first.boxes?.length ?? 0) : 0) + t.numel() + (LoudTrainer.name.length > 0 ? 1 : 0);
}
