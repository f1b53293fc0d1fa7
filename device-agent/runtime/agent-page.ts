// The agent page's own script: starts the training worker with the token from the URL and shows
// its status lines, so a person looking at the phone sees what the agent is doing.
const params = new URLSearchParams(location.search);
const token = params.get('token');
const state = document.getElementById('state')!;
const logEl = document.getElementById('log')!;
if (!token) {
  state.textContent = 'No job token in the URL: this page is opened by the FleetTune controller.';
} else {
  state.textContent = 'connecting to the controller…';
  const worker = new Worker(new URL('./agent-worker.js', import.meta.url), { type: 'module' });
  worker.addEventListener('message', (ev: MessageEvent<{ type: string; line?: string; code?: number }>) => {
    if (ev.data.type === 'log') logEl.textContent += `${ev.data.line}\n`;
    if (ev.data.type === 'exit') state.textContent = ev.data.code === 0 ? 'job finished' : 'job failed (see the controller)';
  });
  worker.postMessage({ token, hub: location.origin });
  state.textContent = 'running';
}
