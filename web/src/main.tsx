// The demo page: start a check, run the real Amplify detector against the local streaming endpoint, show the
// server's verdict, erase the data. Settings come from config.json beside the page (make local serves it).
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { FaceLivenessDetectorCore } from '@aws-amplify/ui-react-liveness';
import '@aws-amplify/ui-react/styles.css';
import '@aws-amplify/ui-react-liveness/styles.css';
import './styles.css';

import { Api, ApiError, loadConfig } from './api';
import type { DemoConfig, Results, Session, Verdict } from './api';

type Outcome = 'live' | 'spoof' | 'fail';

type Phase =
  | { kind: 'idle' }
  | { kind: 'creating' }
  | { kind: 'detecting'; session: Session }
  | { kind: 'fetching'; session: Session }
  | { kind: 'verdict'; session: Session; results: Results }
  | { kind: 'erased'; sessionId: string }
  | { kind: 'error'; message: string; session?: Session };

const VERDICT_WORDS: Record<Verdict, { title: string; text: string }> = {
  LIVE: { title: 'LIVE', text: 'A live person was in front of the camera.' },
  NOT_LIVE: { title: 'NOT_LIVE', text: 'The check did not see a live person (a photo, a screen or a mask, say).' },
  FAILED: { title: 'FAILED', text: 'The service could not decide. Please try again in good light.' },
  EXPIRED: { title: 'EXPIRED', text: 'The check was not finished in time. Start a new one.' },
  PENDING: { title: 'PENDING', text: 'The check is still being analysed.' },
};

// The detector's error states (LivenessErrorState) in plain words.
const DETECTOR_ERRORS: Record<string, string> = {
  CONNECTION_TIMEOUT: 'The connection to the liveness service timed out. Check your connection and try again.',
  TIMEOUT: 'Your face did not fit the oval in time. Try again, a little closer to the camera.',
  FRESHNESS_TIMEOUT: 'The check could not finish in time. Please try again.',
  RUNTIME_ERROR: 'Something went wrong in the browser. Please reload the page and try again.',
  SERVER_ERROR: 'The liveness service could not run this check. Please start a new one.',
  CAMERA_ACCESS_ERROR: 'The camera could not be used. Allow camera access in your browser and try again.',
  CAMERA_FRAMERATE_ERROR: 'Your camera is too slow for the check (at least 15 frames per second are needed).',
  DEFAULT_CAMERA_NOT_FOUND_ERROR: 'The selected camera was not found.',
  FACE_DISTANCE_ERROR: 'Please move back a little: your face is too close to the camera.',
  MULTIPLE_FACES_ERROR: 'More than one face is in view. Only one person should be in front of the camera.',
  MOBILE_LANDSCAPE_ERROR: 'Please turn your phone upright (portrait) for the check.',
};

function describeDetectorError(state: string, error: Error | undefined): string {
  const name = error?.name ?? '';
  if (name === 'SessionNotFoundException') {
    return 'This check has expired or was already used. Start a new check.';
  }
  if (name === 'ValidationException' && /already/i.test(error?.message ?? '')) {
    return 'This check was already used. Start a new check.';
  }
  if (name === 'ThrottlingException' || name === 'ServiceQuotaExceededException') {
    return 'The liveness service is busy right now. Please wait a moment and start a new check.';
  }
  return DETECTOR_ERRORS[state] ?? 'The check stopped because of an error. Please start a new one.';
}

// Local mode signs with dummy credentials: the local streaming endpoint checks no signature.
const localCredentials = async () => ({
  accessKeyId: 'LOCALDEMOACCESSKEY',
  secretAccessKey: 'local-demo-secret-access-key',
  sessionToken: 'local-demo-session-token',
});

function record(event: string, detail?: unknown): void {
  // For the browser test and the curious: what the detector did, in order.
  const w = window as unknown as { livenessDemoEvents?: { event: string; detail?: unknown }[] };
  (w.livenessDemoEvents ??= []).push({ event, detail });
  document.body.dataset[event] = 'true';
}

function App({ config }: { config: DemoConfig }) {
  const api = useMemo(() => new Api(config), [config]);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [outcome, setOutcome] = useState<Outcome>('live');
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Move focus to the new step's heading so keyboard and screen-reader users follow along.
  useEffect(() => {
    headingRef.current?.focus();
  }, [phase.kind]);

  const start = useCallback(async () => {
    setPhase({ kind: 'creating' });
    try {
      const session = await api.createSession();
      if (config.localControls && outcome !== 'live') {
        await api.scriptOutcome(session.sessionId, outcome);
      }
      record('sessionCreated', session.sessionId);
      setPhase({ kind: 'detecting', session });
    } catch (error) {
      setPhase({ kind: 'error', message: error instanceof ApiError ? error.message : String(error) });
    }
  }, [api, config.localControls, outcome]);

  const fetchVerdict = useCallback(
    async (session: Session) => {
      setPhase({ kind: 'fetching', session });
      try {
        let results = await api.results(session.sessionId);
        for (let attempt = 0; results.decision === 'PENDING' && attempt < 10; attempt += 1) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          results = await api.results(session.sessionId);
        }
        record('verdict', results.decision);
        setPhase({ kind: 'verdict', session, results });
      } catch (error) {
        setPhase({ kind: 'error', session, message: error instanceof ApiError ? error.message : String(error) });
      }
    },
    [api],
  );

  const erase = useCallback(
    async (sessionId: string, session?: Session) => {
      try {
        await api.erase(sessionId);
        record('erased', sessionId);
        setPhase({ kind: 'erased', sessionId });
      } catch (error) {
        setPhase({ kind: 'error', session, message: error instanceof ApiError ? error.message : String(error) });
      }
    },
    [api],
  );

  const detectorConfig = useMemo(
    () => ({
      credentialProvider: localCredentials,
      endpointOverride: config.streamingEndpoint,
      faceModelUrl: new URL('assets/model/model.json', window.location.href).href,
      binaryPath: new URL('assets/tfjs/', window.location.href).href,
    }),
    [config.streamingEndpoint],
  );

  let body: React.ReactNode;
  switch (phase.kind) {
    case 'idle':
    case 'creating':
      body = (
        <section aria-labelledby="step-heading">
          <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
            Check that you are a live person
          </h2>
          <p>
            The check uses your camera for a few seconds. Put your face in the oval when it appears and hold still
            while the screen flashes colours.
          </p>
          {config.localControls && (
            <fieldset className="outcome">
              <legend>Local demo: what should the emulated check decide?</legend>
              {(
                [
                  ['live', 'A live person (LIVE)'],
                  ['spoof', 'A spoof (NOT_LIVE)'],
                  ['fail', 'The service cannot decide (FAILED)'],
                ] as const
              ).map(([value, label]) => (
                <label key={value}>
                  <input
                    type="radio"
                    name="outcome"
                    value={value}
                    checked={outcome === value}
                    onChange={() => setOutcome(value)}
                  />
                  {label}
                </label>
              ))}
            </fieldset>
          )}
          <button type="button" className="primary" onClick={start} disabled={phase.kind === 'creating'}>
            {phase.kind === 'creating' ? 'Starting…' : 'Start the check'}
          </button>
        </section>
      );
      break;
    case 'detecting':
      body = (
        <section aria-labelledby="step-heading" className="detector">
          <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
            Follow the instructions on the video
          </h2>
          <FaceLivenessDetectorCore
            sessionId={phase.session.sessionId}
            region={phase.session.region}
            disableStartScreen
            config={detectorConfig}
            onAnalysisComplete={async () => {
              record('analysisComplete');
              await fetchVerdict(phase.session);
            }}
            onUserCancel={() => setPhase({ kind: 'idle' })}
            onError={(livenessError) => {
              const { state, error } = livenessError as { state: string; error?: Error };
              record('detectorError', { state, name: error?.name, message: error?.message });
              setPhase({ kind: 'error', session: phase.session, message: describeDetectorError(state, error) });
            }}
          />
        </section>
      );
      break;
    case 'fetching':
      body = (
        <section aria-labelledby="step-heading">
          <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
            Getting the result…
          </h2>
        </section>
      );
      break;
    case 'verdict': {
      const words = VERDICT_WORDS[phase.results.decision];
      body = (
        <section aria-labelledby="step-heading">
          <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
            Result
          </h2>
          <div className={`verdict verdict-${phase.results.decision}`} role="status" data-testid="verdict">
            <strong>{words.title}</strong>
            <span>{words.text}</span>
            {phase.results.confidence != null && (
              <span className="small">
                Confidence {phase.results.confidence.toFixed(1)} (threshold {phase.results.threshold})
              </span>
            )}
          </div>
          <div className="actions">
            <button type="button" className="danger" onClick={() => erase(phase.session.sessionId, phase.session)}>
              Erase my data
            </button>
            <button type="button" onClick={() => setPhase({ kind: 'idle' })}>
              Start another check
            </button>
          </div>
          <p className="small">Erasing deletes the check's images and its record on the server.</p>
        </section>
      );
      break;
    }
    case 'erased':
      body = (
        <section aria-labelledby="step-heading">
          <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
            Your data is erased
          </h2>
          <p role="status" data-testid="erased">
            The images and the record of this check were deleted.
          </p>
          <button type="button" className="primary" onClick={() => setPhase({ kind: 'idle' })}>
            Start a new check
          </button>
        </section>
      );
      break;
    case 'error':
      body = (
        <section aria-labelledby="step-heading">
          <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
            The check could not be completed
          </h2>
          <p role="alert" className="error" data-testid="error">
            {phase.message}
          </p>
          <div className="actions">
            <button type="button" className="primary" onClick={() => setPhase({ kind: 'idle' })}>
              Start a new check
            </button>
            {phase.session && (
              <button type="button" className="danger" onClick={() => erase(phase.session!.sessionId, phase.session)}>
                Erase my data
              </button>
            )}
          </div>
        </section>
      );
      break;
  }

  return (
    <>
      <header>
        <h1>Face Liveness demo</h1>
        {config.localControls && <p className="badge">Local: the verdict is scripted, not judged</p>}
      </header>
      <main data-phase={phase.kind}>{body}</main>
      <footer className="small">
        API {config.apiUrl} · region {config.region}
        {config.streamingEndpoint ? ` · streaming ${config.streamingEndpoint}` : ''}
      </footer>
    </>
  );
}

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  try {
    const config = await loadConfig();
    root.render(<App config={config} />);
  } catch (error) {
    root.render(
      <main>
        <p role="alert" className="error">
          The demo's settings (config.json) could not be loaded: {String(error)}
        </p>
      </main>,
    );
  }
}

void boot();
