// Live events over server-sent events (GET /api/v1/events). The browser's EventSource
// reconnects by itself after a network error (the API asks for 2 s); when it gives up (the API
// answered an error, e.g. while restarting behind a proxy) we open a new one with backoff.
// After any reconnect the caller reloads its data, since events sent meanwhile are lost.
//
// The API ends a stream with a final "end" event whose data is {"reason":…}. After max_life,
// resync, slow, shutdown or unavailable we reconnect (the next stream re-authenticates); after
// anything else (revoked, logged_out, expired) the credential is gone and onEnd decides what
// to do (the dashboard checks whether it is still signed in).

const RECONNECT = new Set(['max_life', 'resync', 'slow', 'shutdown', 'unavailable']);

export class Live {
  constructor({onEvent, onState, onReconnect, onEnd}) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.onReconnect = onReconnect;
    this.onEnd = onEnd || (() => this.start());
    this.es = null;
    this.backoff = 1000;
    this.everOpen = false;
    this.timer = 0;
    this.opened = new Promise((resolve) => { this.resolveOpened = resolve; });
  }

  start() {
    clearTimeout(this.timer);
    if (this.es) this.es.close();
    this.onState('connecting');
    const es = new EventSource('/api/v1/events');
    this.es = es;
    es.onopen = () => {
      this.backoff = 1000;
      this.onState('live');
      this.resolveOpened();
      if (this.everOpen) this.onReconnect();
      this.everOpen = true;
    };
    es.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      this.onEvent(ev);
    };
    es.addEventListener('end', (m) => this.ended(es, m.data));
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        this.onState('offline');
        this.timer = setTimeout(() => this.start(), this.backoff);
        this.backoff = Math.min(this.backoff * 2, 15000);
      } else {
        this.onState('reconnecting');
      }
    };
  }

  // ended handles the API's "end" event: close before EventSource reconnects on its own.
  ended(es, data) {
    es.close();
    if (this.es !== es) return;
    let reason = '';
    try { reason = JSON.parse(data).reason || ''; } catch { /* an unknown end: ask onEnd */ }
    this.onState('reconnecting');
    if (RECONNECT.has(reason)) {
      // a process going away, or one that could not check the credential: do not hammer it
      const wait = reason === 'shutdown' || reason === 'unavailable' ? this.backoff : 0;
      this.timer = setTimeout(() => this.start(), wait);
      return;
    }
    this.onEnd(reason);
  }

  stop() {
    clearTimeout(this.timer);
    if (this.es) this.es.close();
    this.es = null;
  }
}
