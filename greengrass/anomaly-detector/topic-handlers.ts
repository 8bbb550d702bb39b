import { TopicMemo, topicMatches } from '../../core/topics';

export type Handler = (topic: string, payload: Buffer) => void;

/**
 * The local subscriptions of a transport: handlers by topic filter, with the handlers of each
 * topic decided once (sensors publish on a few topics, again and again).
 */
export class TopicHandlers {
  private readonly handlers = new Set<{ filter: string; handler: Handler }>();
  private readonly routes = new TopicMemo(
    (topic) => [...this.handlers].filter((h) => topicMatches(h.filter, topic)).map((h) => h.handler),
    10_000,
  );

  /** Adds a handler; its `remove` says whether it was the last for its filter (the broker must be told). */
  add(filter: string, handler: Handler): { remove: () => { last: boolean } } {
    const entry = { filter, handler };
    this.handlers.add(entry);
    this.routes.clear();
    return {
      remove: () => {
        this.handlers.delete(entry);
        this.routes.clear();
        return { last: !this.has(filter) };
      },
    };
  }

  /** Hands a message to every handler whose filter matches its topic. */
  deliver(topic: string, payload: Buffer): void {
    for (const h of this.routes.get(topic)) h(topic, payload);
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
