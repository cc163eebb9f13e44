// The dashboard's live stream: Server-Sent Events read with fetch, so a bearer token can ride in
// an Authorization header (EventSource cannot send one, and a token never belongs in a URL). With
// ACLs on, the page asks once for a read token and keeps it in sessionStorage (gone with the tab).
// Returns an EventTarget that dispatches 'open', 'error' and one MessageEvent per SSE message.

const TOKEN_KEY = 'proxima.token';
const RETRY_MS = 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function openFeed(url) {
  const target = new EventTarget();
  void run(url, target);
  return target;
}

async function run(url, target) {
  for (;;) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    try {
      const response = await fetch(url, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        cache: 'no-store',
      });
      if (response.status === 401 || response.status === 403) {
        sessionStorage.removeItem(TOKEN_KEY);
        const entered = window.prompt(
          response.status === 401
            ? 'This registry needs a token with read access:'
            : 'That token may not read the registry. Another token:',
        );
        if (entered && entered.trim() !== '') {
          sessionStorage.setItem(TOKEN_KEY, entered.trim());
          continue;
        }
        throw new Error('no token');
      }
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
      target.dispatchEvent(new Event('open'));
      await readMessages(response.body, target);
    } catch {
      // dropped, refused or no token: show it and try again
    }
    target.dispatchEvent(new Event('error'));
    await sleep(RETRY_MS);
  }
}

async function readMessages(body, target) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) target.dispatchEvent(new MessageEvent(type, { data: data.join('\n') }));
    }
  }
}
