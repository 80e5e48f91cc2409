import { describe, expect, it } from 'vitest';
import { at, expectStorageError, HOUR, T0, uid, type ContractContext } from './fixtures.case.js';

export function operationModeCases(ctx: ContractContext): void {
  describe('agents: per-operation modes (0004)', () => {
    it('creates, replaces and lists overrides per agent, in (agent, operation) order', async () => {
      const s = ctx.storage();
      const agentId = uid('router');
      const other = uid('other');
      expect(await s.agents.listOperationModes(agentId)).toEqual([]);
      const row = {
        agentId,
        operation: 'contacts.update',
        mode: 'autonomous' as const,
        configVersion: 'v1',
        updatedAt: T0,
        updatedBy: 'person:kim',
      };
      expect(await s.agents.upsertOperationMode(row)).toEqual({ ...row, reason: null });
      await s.agents.upsertOperationMode({ ...row, operation: 'companies.update', mode: 'gated', reason: 'why' });
      await s.agents.upsertOperationMode({ ...row, agentId: other, mode: 'observe' });
      const replaced = {
        ...row,
        mode: 'gated' as const,
        updatedAt: at(T0, HOUR),
        updatedBy: 'breaker:cpl',
        reason: 'trip',
      };
      expect(await s.agents.upsertOperationMode(replaced)).toEqual(replaced);
      expect(await s.agents.listOperationModes(agentId)).toEqual([
        { ...row, operation: 'companies.update', mode: 'gated', reason: 'why' },
        replaced,
      ]);
      const all = await s.agents.listOperationModes();
      expect(all.filter((r) => r.agentId === other)).toEqual([
        { ...row, agentId: other, mode: 'observe', reason: null },
      ]);
      const mine = all.filter((r) => r.agentId === agentId || r.agentId === other);
      expect(mine.map((r) => `${r.agentId}/${r.operation}`)).toEqual(
        [...mine].map((r) => `${r.agentId}/${r.operation}`).sort(),
      );
    });

    it('refuses a malformed timestamp and writes nothing', async () => {
      const s = ctx.storage();
      const agentId = uid('router');
      await expectStorageError(
        s.agents.upsertOperationMode({
          agentId,
          operation: 'contacts.update',
          mode: 'gated',
          configVersion: 'v1',
          updatedAt: 'yesterday',
          updatedBy: 'person:kim',
        }),
        'storage_invalid_input',
      );
      expect(await s.agents.listOperationModes(agentId)).toEqual([]);
    });

    it('is transactional with the agent row', async () => {
      const s = ctx.storage();
      const agentId = uid('router');
      await expect(
        s.transaction(async (tx) => {
          await tx.agents.upsert({ id: agentId, mode: 'gated', configVersion: 'v1', updatedAt: T0, updatedBy: 'x' });
          await tx.agents.upsertOperationMode({
            agentId,
            operation: 'contacts.update',
            mode: 'gated',
            configVersion: 'v1',
            updatedAt: T0,
            updatedBy: 'x',
          });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await s.agents.get(agentId)).toBeUndefined();
      expect(await s.agents.listOperationModes(agentId)).toEqual([]);
    });
  });
}
