import { useCallback, useEffect, useRef, useState } from 'react';
import { api, can, setCsrfToken, type Session } from './api.js';
import { LiveContext, SessionContext, href, useEventStream, useRoute } from './hooks.js';
import { SignIn } from './pages/SignIn.js';
import { OverviewPage } from './pages/Overview.js';
import { ApprovalsPage } from './pages/Approvals.js';
import { AgentsPage } from './pages/Agents.js';
import { BreakersPage } from './pages/Breakers.js';
import { AuditPage } from './pages/Audit.js';
import { GovernancePage } from './pages/Governance.js';

const PAGES: { page: string; label: string; permission?: string }[] = [
  { page: 'overview', label: 'Overview' },
  { page: 'approvals', label: 'Approvals' },
  { page: 'agents', label: 'Agents' },
  { page: 'breakers', label: 'Breakers' },
  { page: 'audit', label: 'Audit', permission: 'audit.read' },
  { page: 'governance', label: 'Governance' },
];

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checked, setChecked] = useState(false);
  const route = useRoute();
  const live = useEventStream(session !== null);

  const accept = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrf_token ?? '');
    setSession(s);
    setChecked(true);
  }, []);
  const refresh = useCallback(() => {
    // Any failure (401 when signed out, or a server that does not answer) shows the sign-in page.
    api.session().then(accept, () => accept(null));
  }, [accept]);
  useEffect(refresh, [refresh]);

  const current = PAGES.find((p) => p.page === route.page) ?? PAGES[0]!;
  useEffect(() => {
    document.title = session ? `${current.label} · Gatehouse` : 'Sign in · Gatehouse';
  }, [current.label, session]);
  // On a page change (not on the first render), move focus to the content so keyboard and
  // screen-reader users start at the new page rather than in the navigation.
  const firstPage = useRef(true);
  useEffect(() => {
    if (firstPage.current) {
      firstPage.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [current.page]);

  if (!checked) return <p className="boot">Loading Gatehouse…</p>;
  if (!session) return <SignIn onSignedIn={accept} />;

  const signOut = () => {
    api.signOut().then(
      () => accept(null),
      () => accept(null),
    );
  };

  return (
    <SessionContext.Provider value={{ session, refresh }}>
      <LiveContext.Provider value={live}>
        <a className="skip" href="#main">
          Skip to content
        </a>
        <header className="top">
          <a className="brand" href={href('overview')}>
            Gatehouse
          </a>
          <nav aria-label="Main">
            <ul>
              {PAGES.filter((p) => !p.permission || can(session, p.permission)).map((p) => (
                <li key={p.page}>
                  <a href={href(p.page)} aria-current={p.page === current.page ? 'page' : undefined}>
                    {p.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div className="who">
            <span className={`live live-${live.mode}`} title="Live updates from /v1/events">
              {live.mode === 'live' ? 'Live' : live.mode === 'polling' ? 'Polling' : 'Connecting'}
            </span>
            <span>
              {session.person.name} <span className="muted">({session.person.roles.join(', ')})</span>
            </span>
            <button type="button" className="link" onClick={signOut}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {current.page === 'overview' && <OverviewPage />}
          {current.page === 'approvals' && <ApprovalsPage id={route.id} />}
          {current.page === 'agents' && <AgentsPage id={route.id} />}
          {current.page === 'breakers' && <BreakersPage id={route.id} />}
          {current.page === 'audit' && <AuditPage />}
          {current.page === 'governance' && <GovernancePage />}
        </main>
      </LiveContext.Provider>
    </SessionContext.Provider>
  );
}
