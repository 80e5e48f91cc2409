/** The request every load row sends: kept free of server imports so a load process stays light. */

let unique = 0;

/** A single-record owner_id update with a value never used before, so it is never a no-op. */
export function ownerUpdate(id: string) {
  unique++;
  return {
    connector: 'crm',
    object: 'contacts',
    operation: 'update',
    records: [{ id, changes: { owner_id: `u_bench_${process.pid}_${unique}` } }],
    reason: 'bench: route the lead to its territory owner',
  } as const;
}
