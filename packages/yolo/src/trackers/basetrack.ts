// Ultralytics' trackers/basetrack.py: the life cycle of one track (new → tracked ⇄ lost → removed) and track ids.

/** Ultralytics' TrackState values. */
export const TrackState = { New: 0, Tracked: 1, Lost: 2, Removed: 3 } as const;
export type TrackStateValue = (typeof TrackState)[keyof typeof TrackState];

/**
 * Hands out track ids 1, 2, 3, … Ultralytics keeps one class-level counter for every tracker of the process; here
 * the trackers of one prediction run share a counter object (one tracker per stream: ids unique across streams),
 * and a tracker's `reset()` restarts it, as Ultralytics' `reset_id()` does.
 */
export class IdCounter {
  private count = 0;

  next(): number {
    this.count += 1;
    return this.count;
  }

  reset(): void {
    this.count = 0;
  }
}

/** What every track holds: its id, state, score and the frames it spans. */
export abstract class BaseTrack {
  trackId = 0;
  isActivated = false;
  state: TrackStateValue = TrackState.New;
  score = 0;
  startFrame = 0;
  /** The latest frame the track was updated in. */
  frameId = 0;

  /** The latest frame the track was seen in. */
  get endFrame(): number {
    return this.frameId;
  }

  markLost(): void {
    this.state = TrackState.Lost;
  }

  markRemoved(): void {
    this.state = TrackState.Removed;
  }
}
