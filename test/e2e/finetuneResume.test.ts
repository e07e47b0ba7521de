// A training run survives the app being killed: after SIGKILL of `pasam serve` mid-run and a
// restart, the Fine-tune page shows the run as interrupted and Resume finishes it from its last
// checkpoint (the epochs done before the kill are not trained again).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ProjectStore } from '../../app/store/projectStore.js';
import { useServedUi, startServe, startNeuTrainProject, browserSkipReason, screenshot, NEU_TRAIN_FOUR, WASM_ENV } from './helpers/fixture.js';

const skip = browserSkipReason();
const ui = useServedUi();
let home: string;
let projectDir: string;

interface RunRow { id: number; status: string; interrupted: boolean; epochsDone: number }

before(async () => {
  if (skip) return;
  ({ serve: ui.serve, home, projectDir } = await startNeuTrainProject('ftr', 'NEU resume', NEU_TRAIN_FOUR, WASM_ENV));
  await ui.openPage();
});

test('kill the app during training, restart: the run is interrupted and Resume completes it', { skip }, async () => {
  const { runId } = await ui.serve.rpc<{ runId: number }>('training.start', { config: { inputSize: 32, epochs: 6, batchSize: 2, valFraction: 0 }, name: 'survivor' });
  let row: RunRow | undefined;
  for (let i = 0; i < 1200; i++) {
    row = (await ui.serve.rpc<RunRow[]>('training.runs')).find((r) => r.id === runId);
    if (row && row.epochsDone >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(row && row.epochsDone >= 2 && row.status === 'running', `run at epoch ${row?.epochsDone}, ${row?.status}`);
  await ui.serve.kill();
  const store = ProjectStore.open(projectDir);
  const epochsBefore = store.listRunEpochs(runId);
  store.close();

  ui.serve = await startServe([projectDir], { PASAM_HOME: home, ...WASM_ENV });
  const after = (await ui.serve.rpc<RunRow[]>('training.runs')).find((r) => r.id === runId)!;
  assert.equal(after.interrupted, true);
  await ui.page.goto(ui.serve.url);
  await ui.page.click('role=tab[name="Fine-tune"]');
  await ui.page.waitForSelector('[data-testid=run-resume]');
  assert.match((await ui.page.textContent('[data-testid=progress-text]'))!, /^Interrupted after \d of 6 epochs/);
  await screenshot(ui.page, 'finetune-interrupted');
  await ui.page.click('[data-testid=run-resume]');
  await ui.page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'completed', undefined, { timeout: 180_000 });
  const s2 = ProjectStore.open(projectDir);
  const epochs = s2.listRunEpochs(runId);
  assert.deepEqual(epochs.map((e) => e.epoch), [1, 2, 3, 4, 5, 6]);
  // Epochs finished before the kill keep their records (a partly trained epoch may be redone).
  for (const e of epochsBefore.slice(0, -1)) assert.equal(epochs.find((x) => x.epoch === e.epoch)!.createdAt, e.createdAt, `epoch ${e.epoch} was not trained again`);
  assert.equal(s2.getRun(runId)!.status, 'completed');
  s2.close();
  await screenshot(ui.page, 'finetune-resumed');
});
