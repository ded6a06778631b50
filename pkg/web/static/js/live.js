// Live events over server-sent events (GET /api/v1/events). The browser's EventSource
// reconnects by itself after a network error (the API asks for 2 s); when it gives up (the API
// answered an error, e.g. while restarting behind a proxy) we open a new one with backoff.
// After any reconnect the caller reloads its data, since events sent meanwhile are lost.

export class Live {
  constructor({onEvent, onState, onReconnect}) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.onReconnect = onReconnect;
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

  stop() {
    clearTimeout(this.timer);
    if (this.es) this.es.close();
    this.es = null;
  }
}
