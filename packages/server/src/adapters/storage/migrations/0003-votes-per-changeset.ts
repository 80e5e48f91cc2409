/**
 * A vote approves one change set hash. After approve-with-edits the approval binds to new bytes,
 * and the people who approved the old bytes must be able to vote again: votes are unique per
 * (approval, person, change set hash). Rows from before this migration keep an empty hash; the
 * core reads the hash a vote approved from its own binding, so they keep their meaning.
 */
import type { Kysely, Migration } from 'kysely';

export function migration0003(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('approval_votes')
        .addColumn('changeset_hash', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema.dropIndex('approval_votes_person').execute();
      await db.schema
        .createIndex('approval_votes_person_hash')
        .on('approval_votes')
        .columns(['approval_id', 'person_id', 'changeset_hash'])
        .unique()
        .execute();
    },
  };
}
