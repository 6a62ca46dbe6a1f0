/**
 * Which methods each route path has, collected as routes are registered, so that a known path asked with
 * another method answers 405 with `Allow` instead of 404.
 */
import type { FastifyInstance } from "fastify";

export class RouteMethods {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  private readonly byUrl = new Map<string, Set<string>>();

  /** Records every route registered on `app` from now on. */
  watch(app: FastifyInstance): void {
    app.addHook("onRoute", (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      let known = this.byUrl.get(route.url);
      if (!known) {
        known = new Set();
        this.byUrl.set(route.url, known);
        const source = route.url.split("/").map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/");
        this.routes.push({ pattern: new RegExp(`^${source}$`), methods: known });
      }
      for (const method of methods) if (method !== "HEAD") known.add(method);
    });
  }

  /** The methods a path is served with (empty when no route has this path). */
  allowed(path: string): string[] {
    const found = new Set<string>();
    for (const { pattern, methods } of this.routes) if (pattern.test(path)) methods.forEach((m) => found.add(m));
    return [...found].sort();
  }
}
