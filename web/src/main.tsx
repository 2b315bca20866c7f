// The demo page: start a check (optionally with an ID photo to match, uploaded straight to S3), run the real Amplify
// detector against the streaming endpoint, show the server's verdict and match, erase the data. Settings come from
// config.json beside the page (make local serves it).
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { FaceLivenessDetectorCore } from '@aws-amplify/ui-react-liveness';
import '@aws-amplify/ui-react/styles.css';
import '@aws-amplify/ui-react-liveness/styles.css';
import './styles.css';

import { Api, ApiError, loadConfig } from './api';
import type { DemoConfig, Results, Session } from './api';
import { ResultView } from './ResultView';
import { StartForm } from './StartForm';
import type { StartChoices } from './StartForm';
import { isDocumentType, photoProblem, uploadDocument, UploadError } from './upload';
import { describeDetectorError } from './words';

type Phase =
  | { kind: 'idle' }
  | { kind: 'creating' }
  | { kind: 'uploading'; session: Session }
  | { kind: 'detecting'; session: Session }
  | { kind: 'fetching'; session: Session }
  | { kind: 'verdict'; session: Session; results: Results }
  | { kind: 'erased'; sessionId: string }
  | { kind: 'error'; message: string; session?: Session };

function messageOf(error: unknown): string {
  return error instanceof ApiError || error instanceof UploadError ? error.message : String(error);
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
  const [choices, setChoices] = useState<StartChoices>({
    outcome: 'live',
    withPhoto: false,
    photo: null,
    documentFace: 'same',
  });
  const [problem, setProblem] = useState<string | undefined>();
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Move focus to the new step's heading so keyboard and screen-reader users follow along.
  useEffect(() => {
    headingRef.current?.focus();
  }, [phase.kind]);

  const start = useCallback(async () => {
    const photo = choices.withPhoto ? choices.photo : null;
    if (choices.withPhoto) {
      const wrong = photo ? photoProblem(photo) : 'Choose the ID photo to verify against first.';
      if (wrong) {
        setProblem(wrong);
        return;
      }
    }
    setProblem(undefined);
    setPhase({ kind: 'creating' });
    let session: Session | undefined;
    try {
      session = await api.createSession(photo && isDocumentType(photo.type) ? photo.type : undefined);
      record('sessionCreated', session.sessionId);
      if (config.localControls && choices.outcome !== 'live') {
        await api.scriptOutcome(session.sessionId, choices.outcome);
      }
      if (photo) {
        if (config.localControls && choices.documentFace !== 'same') {
          await api.scriptDocumentFace(session.sessionId, choices.documentFace);
        }
        if (!session.documentUpload) throw new UploadError('The service offered no place to upload the ID photo.');
        setPhase({ kind: 'uploading', session });
        await uploadDocument(session.documentUpload, photo);
        record('documentUploaded', session.sessionId);
      }
      setPhase({ kind: 'detecting', session });
    } catch (error) {
      record('startError', messageOf(error));
      setPhase({ kind: 'error', session, message: messageOf(error) });
    }
  }, [api, config.localControls, choices]);

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
        if (results.match) record('match', results.match.outcome);
        setPhase({ kind: 'verdict', session, results });
      } catch (error) {
        setPhase({ kind: 'error', session, message: messageOf(error) });
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
        setPhase({ kind: 'error', session, message: messageOf(error) });
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
        <StartForm
          choices={choices}
          onChange={setChoices}
          onStart={start}
          busy={phase.kind === 'creating'}
          localControls={Boolean(config.localControls)}
          problem={problem}
          headingRef={headingRef}
        />
      );
      break;
    case 'uploading':
      body = (
        <section aria-labelledby="step-heading">
          <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
            Uploading your ID photo…
          </h2>
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
    case 'verdict':
      body = (
        <section aria-labelledby="step-heading">
          <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
            Result
          </h2>
          <ResultView results={phase.results} />
          <div className="actions">
            <button type="button" className="danger" onClick={() => erase(phase.session.sessionId, phase.session)}>
              Erase my data
            </button>
            <button type="button" onClick={() => setPhase({ kind: 'idle' })}>
              Start another check
            </button>
          </div>
          <p className="small">Erasing deletes the check's images (and the ID photo) and its record on the server.</p>
        </section>
      );
      break;
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
