import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { testEndpoints } from '../balancer/testing/endpoints.js';
import { PICK_NOTE_KEY, PickNotes } from './pick-notes.js';

describe('pick notes', () => {
  it('tell the call its chosen endpoint, strip the token from the metadata sent, and forget the call', () => {
    const notes = new PickNotes();
    const [endpoint] = testEndpoints(1);
    const seen: string[] = [];
    const metadata = new Metadata();
    const token = notes.listen(metadata, (e) => seen.push(e.id));
    expect(notes.size).toBe(1);

    // A queued pick: no endpoint, but the copy grpc-js made loses the token all the same.
    const queued = metadata.clone();
    notes.take(queued, undefined);
    expect(queued.get(PICK_NOTE_KEY)).toEqual([]);
    expect(seen).toEqual([]);

    const sent = metadata.clone();
    notes.take(sent, endpoint);
    expect(sent.get(PICK_NOTE_KEY)).toEqual([]);
    expect(seen).toEqual([endpoint!.id]);

    notes.forget(token);
    expect(notes.size).toBe(0);
    notes.take(metadata.clone(), endpoint);
    expect(seen).toHaveLength(1);
  });

  it('leave metadata without a token alone', () => {
    const notes = new PickNotes();
    const metadata = new Metadata();
    metadata.set('x-user', 'kept');
    notes.take(metadata, testEndpoints(1)[0]);
    expect(metadata.get('x-user')).toEqual(['kept']);
  });
});
