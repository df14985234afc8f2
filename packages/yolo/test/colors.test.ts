// NO_COLOR and FORCE_COLOR decide whether output carries ANSI escapes; otherwise only a terminal gets them.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { bold, colorEnabled } from '../src/utils/colors.js';

describe('colors', () => {
  const saved = { no: process.env.NO_COLOR, force: process.env.FORCE_COLOR };
  afterEach(() => {
    for (const [key, value] of [
      ['NO_COLOR', saved.no],
      ['FORCE_COLOR', saved.force],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  test('a terminal gets colour, a pipe does not', () => {
    delete process.env.NO_COLOR;
    delete process.env.FORCE_COLOR;
    assert.equal(colorEnabled({ isTTY: true }), true);
    assert.equal(colorEnabled({ isTTY: false }), false);
  });

  test('FORCE_COLOR turns it on for a pipe, FORCE_COLOR=0 off for a terminal', () => {
    delete process.env.NO_COLOR;
    process.env.FORCE_COLOR = '1';
    assert.equal(colorEnabled({ isTTY: false }), true);
    process.env.FORCE_COLOR = '0';
    assert.equal(colorEnabled({ isTTY: true }), false);
  });

  test('NO_COLOR wins over FORCE_COLOR and a terminal', () => {
    process.env.NO_COLOR = '1';
    process.env.FORCE_COLOR = '1';
    assert.equal(colorEnabled({ isTTY: true }), false);
    assert.equal(bold('runs/detect/predict'), 'runs/detect/predict');
    delete process.env.NO_COLOR;
    assert.equal(bold('runs/detect/predict'), '\x1b[1mruns/detect/predict\x1b[0m');
  });
});
