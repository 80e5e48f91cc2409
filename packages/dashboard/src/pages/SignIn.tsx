import { useState, type FormEvent } from 'react';
import { ApiError, api, type Session } from '../api.js';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [person, setPerson] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    api.signIn(person.trim(), password).then(onSignedIn, (err: unknown) => {
      setBusy(false);
      setError(
        err instanceof ApiError
          ? err.code === 'invalid_credentials'
            ? 'Unknown person or wrong password.'
            : err.message
          : String(err),
      );
    });
  };

  return (
    <main id="main" className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Gatehouse</h1>
        <p className="muted">
          Use your person id from the config and the password an admin set with{' '}
          <code>gatehouse people set-password</code>.
        </p>
        <label htmlFor="person">Person id</label>
        <input
          id="person"
          name="person"
          autoComplete="username"
          required
          value={person}
          onChange={(e) => setPerson(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error ? (
          <p className="error-note" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
