/**
 * The dashboard's entry: a hash router over three pages (runs, a run, computes), and the sign-in
 * an emulator started with --strict-auth asks for (its client id and secret, exchanged at its
 * token endpoint for a bearer token kept for this tab only).
 */
import { requestToken, resumeSignIn, setSignIn, type Workspace } from './api';
import { computesView } from './computes-view';
import { h } from './dom';
import { runView } from './run-view';
import { runsView } from './runs-view';
import type { View } from './view';

let current: View | undefined;

function route(): void {
  current?.dispose();
  const main = document.getElementById('main')!;
  main.replaceChildren();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    parts = []; // a link with broken percent-encoding: the runs list
  }
  for (const link of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    const page = link.dataset.page;
    if ((page === 'computes') === (parts[0] === 'computes')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (parts[0] === 'runs' && parts.length === 6) {
    const workspace: Workspace = { subscriptionId: parts[1], resourceGroupName: parts[2], workspaceName: parts[3], experiments: [], computes: 0 };
    current = runView(main, { workspace, experimentName: parts[4], runId: parts[5] });
  } else if (parts[0] === 'computes') {
    document.title = 'Computes · Azure ML emulator';
    current = computesView(main);
  } else {
    document.title = 'Runs · Azure ML emulator';
    current = runsView(main, new URLSearchParams(query));
  }
}

/** The sign-in form: resolves once a token was issued, rejects when the user closes it. */
function signIn(reason: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const clientId = h('input', { id: 'client-id', name: 'client_id', autocomplete: 'username', required: true });
    const secret = h('input', { id: 'client-secret', name: 'client_secret', type: 'password', autocomplete: 'current-password', required: true });
    const problem = h('p', { class: 'problem', role: 'alert' }, reason);
    const dialog = h(
      'dialog',
      { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
      h('h2', { id: 'sign-in-title' }, 'Sign in to the emulator'),
      h('p', {}, 'It was started with --strict-auth: give the client id and secret it accepts (its startup line says where they are).'),
      problem,
      h('label', { for: 'client-id' }, 'Client id'),
      clientId,
      h('label', { for: 'client-secret' }, 'Client secret'),
      secret,
      h(
        'div',
        { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Close'),
        h('button', { type: 'submit', id: 'sign-in-submit' }, 'Sign in'),
      ),
    );
    const form = h('form', {}, dialog);
    let done = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      requestToken(clientId.value, secret.value).then(
        () => {
          done = true;
          dialog.close();
          resolve('signed in');
        },
        (error: Error) => (problem.textContent = error.message),
      );
    });
    dialog.addEventListener('close', () => {
      form.remove();
      if (!done) reject(new Error('Not signed in'));
    });
    document.body.append(form);
    dialog.showModal();
  });
}

// Closing the sign-in form shows a button to open it again, instead of a form every refresh.
const signInButton = h('button', { type: 'button', class: 'secondary', id: 'sign-in-again', hidden: true }, 'Sign in');
signInButton.addEventListener('click', () => {
  signInButton.hidden = true;
  resumeSignIn();
  route();
});
document.querySelector('header')?.append(signInButton);
setSignIn(signIn, () => (signInButton.hidden = false));
// The skip link moves focus to the page without changing the route.
document.querySelector('.skip')?.addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('main')?.focus();
});
addEventListener('hashchange', route);
route();
