// TensorBoard event files, written without TensorFlow: TFRecord framing (length, masked CRC-32C of the length, the
// record, masked CRC-32C of the record) around tensorflow.Event protobufs, encoded with protobufjs. The messages
// below are the fields of tensorflow/core/util/event.proto and summary.proto that scalars use, with their numbers and
// oneofs (a oneof member is written even when 0: TensorBoard takes a value without simple_value for no scalar).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { maskedCrc32c } from './crc32c.js';

const EVENT_PROTO = `
syntax = "proto3";
package tensorflow;
message SummaryValue {
  string node_tag = 7;
  string tag = 1;
  oneof value {
    float simple_value = 2;
  }
}
message Summary {
  repeated SummaryValue value = 1;
}
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}
`;

/** The tensorflow.Event message type (also what a reader decodes with). */
export const EventMessage = protobuf.parse(EVENT_PROTO, { keepCase: true }).root.lookupType('tensorflow.Event');

/** One TFRecord: the framing TensorBoard's reader checks before decoding the event. */
export function tfRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

let fileCounter = 0;

/**
 * An event file in `logDir`, named as PyTorch's SummaryWriter names them
 * (`events.out.tfevents.<seconds>.<host>.<pid>.<n>`). Each scalar is appended at once, so a crash loses nothing and
 * a running `tensorboard --logdir` sees epochs as they end.
 *
 * @example
 * const writer = new EventFileWriter('runs/detect/train');
 * writer.addScalar('metrics/mAP50(B)', 0.42, 1);
 */
export class EventFileWriter {
  readonly path: string;

  constructor(logDir: string) {
    mkdirSync(logDir, { recursive: true });
    const seconds = Math.floor(Date.now() / 1000);
    this.path = join(logDir, `events.out.tfevents.${seconds}.${hostname()}.${process.pid}.${fileCounter++}`);
    writeFileSync(this.path, this.record({ wall_time: Date.now() / 1000, file_version: 'brain.Event:2' }));
  }

  /** Appends one scalar (TensorBoard's Scalars tab plots `tag` against `step`). */
  addScalar(tag: string, value: number, step: number): void {
    const summary = { value: [{ tag, simple_value: value }] };
    appendFileSync(this.path, this.record({ wall_time: Date.now() / 1000, step, summary }));
  }

  private record(event: Record<string, unknown>): Buffer {
    return tfRecord(EventMessage.encode(EventMessage.fromObject(event)).finish());
  }
}
