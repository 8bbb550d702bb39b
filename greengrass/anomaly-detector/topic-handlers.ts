import { topicMatches } from '../../core/topics';

export type Handler = (topic: string, payload: Buffer) => void;

/**
 * The local subscriptions of a transport: handlers by topic filter, with the handlers of each
 * topic decided once (sensors publish on a few topics, again and again).
 */
export class TopicHandlers {
  private readonly handlers = new Set<{ filter: string; handler: Handler }>();
  private readonly routes = new Map<string, Handler[]>();

  /** Adds a handler; returns whether it is the first for its filter (the broker must be told). */
  add(filter: string, handler: Handler): { first: boolean; remove: () => { last: boolean } } {
    const first = !this.has(filter);
    const entry = { filter, handler };
    this.handlers.add(entry);
    this.routes.clear();
    return {
      first,
      remove: () => {
        this.handlers.delete(entry);
        this.routes.clear();
        return { last: !this.has(filter) };
      },
    };
  }

  /** Hands a message to every handler whose filter matches its topic. */
  deliver(topic: string, payload: Buffer): void {
    let route = this.routes.get(topic);
    if (!route) {
      route = [...this.handlers].filter((h) => topicMatches(h.filter, topic)).map((h) => h.handler);
      if (this.routes.size >= 10_000) this.routes.clear();
      this.routes.set(topic, route);
    }
    for (const h of route) h(topic, payload);
  }

  clear(): void {
    this.handlers.clear();
    this.routes.clear();
  }

  private has(filter: string): boolean {
    for (const h of this.handlers) if (h.filter === filter) return true;
    return false;
  }
}
