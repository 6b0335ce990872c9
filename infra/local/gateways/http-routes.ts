/**
 * HTTP API routes as API Gateway reads them: compiled from `METHOD /path/{param}/{proxy+}` and
 * matched the way API Gateway picks the most specific route.
 */

export interface GatewayHttpRoute {
  readonly method: string;
  /** API Gateway path syntax: `/v1/tasks/{taskId}`, `/files/{proxy+}`. */
  readonly path: string;
  readonly function: string;
}

type Segment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "greedy"; readonly name: string };

export interface CompiledRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly segments: readonly Segment[];
  readonly function: string;
}

export interface RouteMatch {
  readonly routeKey: string;
  readonly function: string;
  readonly pathParameters?: Record<string, string>;
}

const splitPath = (path: string): string[] => path.split("/").slice(1);

export function compileRoutes(routes: readonly GatewayHttpRoute[]): CompiledRoute[] {
  return routes.map((route) => {
    const parts = splitPath(route.path);
    const segments = parts.map((part, i): Segment => {
      const greedy = /^\{(\w+)\+\}$/.exec(part);
      if (greedy?.[1]) {
        if (i !== parts.length - 1) throw new Error(`${route.path}: a greedy variable must be last`);
        return { kind: "greedy", name: greedy[1] };
      }
      const param = /^\{(\w+)\}$/.exec(part);
      return param?.[1] ? { kind: "param", name: param[1] } : { kind: "literal", value: part };
    });
    return {
      routeKey: `${route.method} ${route.path}`,
      method: route.method,
      segments,
      function: route.function,
    };
  });
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    if (segment.kind === "greedy") {
      const rest = parts.slice(i).join("/");
      if (rest === "") return undefined;
      params[segment.name] = rest;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.kind === "literal" && segment.value !== part) return undefined;
    if (segment.kind === "param") {
      if (part === "") return undefined;
      params[segment.name] = part;
    }
  }
  return segments.length === parts.length ? params : undefined;
}

const SPECIFICITY = { literal: 2, param: 1, greedy: 0 } as const;

/** Positive when `a` is the more specific route: literal beats variable beats greedy, left to right. */
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const sa = a.segments[i];
    const sb = b.segments[i];
    if (!sa || !sb) return sa ? 1 : -1;
    const diff = SPECIFICITY[sa.kind] - SPECIFICITY[sb.kind];
    if (diff !== 0) return diff;
  }
  // A route for the exact method beats `ANY` on the same path.
  return Number(a.method !== "ANY") - Number(b.method !== "ANY");
}

/** The most specific route for this method and (decoded) path, as API Gateway picks it. */
export function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  path: string,
): RouteMatch | undefined {
  const parts = splitPath(path);
  let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== "ANY") continue;
    const params = matchSegments(route.segments, parts);
    if (params && (!best || compareSpecificity(route, best.route) > 0)) best = { route, params };
  }
  if (!best) return undefined;
  const hasParams = Object.keys(best.params).length > 0;
  return {
    routeKey: best.route.routeKey,
    function: best.route.function,
    ...(hasParams ? { pathParameters: best.params } : {}),
  };
}
