// Resolve hook used only when running from sources: workspace packages expose their TypeScript
// sources under the "development" export condition.
export async function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, 'development'] });
}
