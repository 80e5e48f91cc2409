/**
 * CEL expressions (policy `when`, grant `where`) are compiled once at start-up and evaluated many
 * times. @bufbuild/cel tracks no evaluation cost, so Gatehouse bounds the expression itself
 * (source length, AST size) at compile time and the inputs at evaluation time.
 *
 * Compilation also rejects identifiers that are not declared for the expression's context,
 * so a typo such as `acton.operation` fails at `gatehouse check`, not at the first request.
 */
import { parse, plan, celEnv, celError, isCelError, type CelResult } from '@bufbuild/cel';

export const CEL_LIMITS = { maxSourceLength: 4096, maxNodes: 512 } as const;

/** The variables an expression may reference, by where it appears in the config. */
export const CEL_CONTEXTS = {
  policy: ['agent', 'action', 'changes', 'now', 'checks'],
  where: ['record'],
  breaker: ['value', 'metric', 'scope'],
} as const;
export type CelContext = keyof typeof CEL_CONTEXTS;

export interface CompiledCel {
  readonly source: string;
  /** Evaluates with the given bindings; errors come back as values, never thrown. */
  evaluate(bindings: Record<string, unknown>): CelResult;
}

export type CelCompileResult = { ok: true; expr: CompiledCel } | { ok: false; message: string };

const env = celEnv();

type ExprNode = { exprKind: { case: string | undefined; value?: unknown } };

/** Walks the parsed AST, counting nodes and collecting free identifiers (comprehension variables are bound). */
function inspect(root: ExprNode): { nodes: number; free: Set<string> } {
  const free = new Set<string>();
  let nodes = 0;
  const visit = (node: ExprNode | undefined, bound: ReadonlySet<string>): void => {
    if (!node) return;
    nodes++;
    const { case: kind, value } = node.exprKind;
    const v = value as Record<string, unknown>;
    switch (kind) {
      case 'identExpr': {
        const name = v.name as string;
        if (!bound.has(name)) free.add(name);
        return;
      }
      case 'selectExpr':
        return visit(v.operand as ExprNode, bound);
      case 'callExpr':
        visit(v.target as ExprNode | undefined, bound);
        for (const a of v.args as ExprNode[]) visit(a, bound);
        return;
      case 'listExpr':
        for (const e of v.elements as ExprNode[]) visit(e, bound);
        return;
      case 'structExpr':
        for (const e of v.entries as { mapKey?: ExprNode; value?: ExprNode }[]) {
          visit(e.mapKey, bound);
          visit(e.value, bound);
        }
        return;
      case 'comprehensionExpr': {
        visit(v.iterRange as ExprNode, bound);
        const inner = new Set(bound);
        for (const k of ['iterVar', 'iterVar2', 'accuVar'] as const)
          if (typeof v[k] === 'string' && v[k]) inner.add(v[k]);
        visit(v.accuInit as ExprNode, bound);
        visit(v.loopCondition as ExprNode, inner);
        visit(v.loopStep as ExprNode, inner);
        visit(v.result as ExprNode, inner);
        return;
      }
      default:
        return;
    }
  };
  visit(root, new Set());
  return { nodes, free };
}

export function compileCel(source: string, context: CelContext): CelCompileResult {
  if (source.length > CEL_LIMITS.maxSourceLength) {
    return {
      ok: false,
      message: `expression is ${source.length} characters; the limit is ${CEL_LIMITS.maxSourceLength}`,
    };
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (e) {
    return { ok: false, message: `does not compile: ${(e as Error).message.replace(/^<input>:/, 'at ')}` };
  }
  const { nodes, free } = inspect(parsed.expr);
  if (nodes > CEL_LIMITS.maxNodes) {
    return { ok: false, message: `expression has ${nodes} nodes; the limit is ${CEL_LIMITS.maxNodes}` };
  }
  const allowed: readonly string[] = CEL_CONTEXTS[context];
  const unknown = [...free].filter((n) => !allowed.includes(n));
  if (unknown.length > 0) {
    return {
      ok: false,
      message: `unknown variable ${unknown.map((n) => `'${n}'`).join(', ')}; available here: ${allowed.join(', ')}`,
    };
  }
  let program: (ctx: Record<string, unknown>) => CelResult;
  try {
    program = plan(env, parsed) as (ctx: Record<string, unknown>) => CelResult;
  } catch (e) {
    return { ok: false, message: `does not compile: ${(e as Error).message}` };
  }
  return {
    ok: true,
    expr: {
      source,
      evaluate(bindings) {
        try {
          return program(bindings);
        } catch (e) {
          // The evaluator reports errors as values; anything thrown is turned into one too.
          return celError(e);
        }
      },
    },
  };
}

export { isCelError };
