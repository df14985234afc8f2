// Test helper: what a synchronous call prints through console.log, one string per call.
import { mock } from 'node:test';

/** Runs `fn` with console.log captured; returns what it printed. */
export function captureLog(fn: () => void): string[] {
  const lines: string[] = [];
  const spy = mock.method(console, 'log', (...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  try {
    fn();
  } finally {
    spy.mock.restore();
  }
  return lines;
}
