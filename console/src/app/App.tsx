import { Suspense } from "react";
import type { ReactNode } from "react";
import { Redirect, Route, Router, Switch, useLocation, useSearch } from "wouter";
import { AuthProvider, useAuth } from "../lib/auth";
import { can } from "../lib/permissions";
import { Layout, navigation } from "./Layout";
import { SCREENS } from "./registry";
import type { Screen, ScreenRoute } from "./screen";

export const BASE = "/console";

function Loading() {
  return <div className="muted loading">Loading…</div>;
}

function Guarded({ screen, children }: { screen: Screen; children: ReactNode }) {
  const { me, checking } = useAuth();
  const [location] = useLocation();
  const search = useSearch();
  if (checking) return <Loading />;
  if (!me) {
    const next = encodeURIComponent(location + (search ? `?${search}` : ""));
    return <Redirect to={`/sign-in?next=${next}`} replace />;
  }
  const content =
    screen.requires && !can(me, screen.requires) ? (
      <section>
        <h1>Not available</h1>
        <p>This screen is not part of your scope.</p>
      </section>
    ) : (
      children
    );
  return <Layout>{content}</Layout>;
}

function render(screen: Screen, route: ScreenRoute, params: Record<string, string | undefined>) {
  const Component = route.component;
  const page = (
    <Suspense fallback={<Loading />}>
      <Component params={params} />
    </Suspense>
  );
  return screen.public ? page : <Guarded screen={screen}>{page}</Guarded>;
}

function Home() {
  const { me, checking } = useAuth();
  if (checking) return <Loading />;
  if (!me) return <Redirect to="/sign-in" replace />;
  const first = navigation(me)[0];
  return <Redirect to={first?.path ?? "/sign-in"} replace />;
}

export function Routes() {
  return (
    <Switch>
      <Route path="/">
        <Home />
      </Route>
      {SCREENS.flatMap((screen) =>
        screen.routes.map((route) => (
          <Route key={route.path} path={route.path}>
            {(params) => render(screen, route, params as Record<string, string | undefined>)}
          </Route>
        )),
      )}
      <Route>
        <section className="bare">
          <h1>Not found</h1>
          <p>
            <a href={`${BASE}/`}>Back to the console</a>
          </p>
        </section>
      </Route>
    </Switch>
  );
}

export function App() {
  return (
    <AuthProvider>
      <Router base={BASE}>
        <Routes />
      </Router>
    </AuthProvider>
  );
}
