// Pages only some roles open (ledger, dashboard, roster, policy, review queue) are separate
// chunks, so a grid worker's phone downloads only the screens it uses.
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBox, Loading } from './components.tsx';

export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): (props: P) => JSX.Element {
  let loaded: ComponentType<P> | undefined;
  return function LazyPage(props: P) {
    const [Component, setComponent] = useState<ComponentType<P> | undefined>(() => loaded);
    const [error, setError] = useState<unknown>();
    useEffect(() => {
      if (Component) return;
      load().then(
        (c) => {
          loaded = c;
          setComponent(() => c);
        },
        (e: unknown) => setError(e),
      );
    }, []);
    if (error !== undefined) return <ErrorBox error={error} onRetry={() => location.reload()} />;
    return Component ? <Component {...props} /> : <Loading />;
  };
}
