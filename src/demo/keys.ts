import type { DemoAction } from './script.js';

/** The keys of an interactive demo and what they do. */
export const KEY_HELP = 'keys: k kill one · s slow one · d drain zone · z kill zone · r restore · q quit';

/**
 * Reads single keys from a terminal (raw mode) and turns them into actions in the caller's zone.
 * Ctrl-C arrives as a key in raw mode, so it quits like `q`. Dispose to give the terminal back.
 */
export function listenForKeys(
  input: NodeJS.ReadStream,
  pick: {
    /** A healthy instance of the caller's zone, if any. */
    readonly oneLocal: () => string | undefined;
    readonly zone: string;
  },
  onAction: (action: DemoAction) => void,
  onQuit: () => void,
): Disposable {
  if (!input.isTTY) return { [Symbol.dispose]: () => undefined };
  input.setRawMode(true);
  input.resume();
  const onData = (data: Buffer): void => {
    const key = data.toString('utf8');
    const one = (make: (id: string) => DemoAction): void => {
      const id = pick.oneLocal();
      if (id !== undefined) onAction(make(id));
    };
    switch (key) {
      case 'k':
        one((target) => ({ kind: 'kill', target }));
        break;
      case 's':
        one((target) => ({ kind: 'slow', target, ms: 40 }));
        break;
      case 'd':
        onAction({ kind: 'drain', target: pick.zone });
        break;
      case 'z':
        onAction({ kind: 'kill', target: pick.zone });
        break;
      case 'r':
        onAction({ kind: 'restore' });
        break;
      case 'q':
      case '\u0003':
        onQuit();
        break;
    }
  };
  input.on('data', onData);
  return {
    [Symbol.dispose]: () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
    },
  };
}
