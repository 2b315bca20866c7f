// The demo page: start a check (optionally with an ID photo to match, uploaded straight to S3), run the real Amplify
// detector against the streaming endpoint, show the server's verdict and match, erase the data. Settings come from
// config.json beside the page: `make local` serves it; `make demo-config` writes one for a deployed stack, whose
// caller mode decides how the page signs in and gets credentials (access.ts).
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { FaceLivenessDetectorCore } from '@aws-amplify/ui-react-liveness';
import '@aws-amplify/ui-react/styles.css';
import '@aws-amplify/ui-react-liveness/styles.css';
import './styles.css';

import { localAccess, StackAccess } from './access';
import type { Access } from './access';
import { Api, ApiError, loadConfig } from './api';
import type { DemoConfig, Results, Session } from './api';
import { CertificateNotice, ErrorView } from './ErrorView';
import type { Failure } from './ErrorView';
import { ResultView } from './ResultView';
import { SignIn } from './SignIn';
import { StartForm } from './StartForm';
import type { StartChoices } from './StartForm';
import { certificateAccepted, isConnectionFailure, localCertificatePage } from './streaming';
import { isDocumentType, photoProblem, uploadDocument, UploadError } from './upload';
import { describeDetectorError, detectorTopic } from './words';

type Phase =
  | { kind: 'idle' }
  | { kind: 'creating' }
  | { kind: 'uploading'; session: Session }
  | { kind: 'detecting'; session: Session }
  | { kind: 'fetching'; session: Session }
  | { kind: 'verdict'; session: Session; results: Results }
  | { kind: 'erased'; sessionId: string }
  | { kind: 'error'; failure: Failure; session?: Session };

function failureOf(error: unknown): Failure {
  if (error instanceof ApiError) return { message: error.message, topic: error.topic };
  return { message: error instanceof UploadError || error instanceof Error ? error.message : String(error) };
}

/** The detector's failure in words; a socket that never opened to a local endpoint whose certificate the browser
 * refuses is the certificate step, skipped. */
async function detectorFailure(state: string, error: Error | undefined, streamingEndpoint?: string): Promise<Failure> {
  const certificatePage = localCertificatePage(streamingEndpoint);
  if (certificatePage && isConnectionFailure(state, error) && !(await certificateAccepted(certificatePage))) {
    record('certificateNotAccepted', certificatePage);
    return {
      message:
        "The detector could not connect to the local streaming endpoint: this browser has not accepted its certificate yet.",
      topic: 'certificate',
      certificatePage,
    };
  }
  return { message: describeDetectorError(state, error), topic: detectorTopic(state, error) };
}

function record(event: string, detail?: unknown): void {
  // For the browser test and the curious: what the detector did, in order.
  const w = window as unknown as { livenessDemoEvents?: { event: string; detail?: unknown }[] };
  (w.livenessDemoEvents ??= []).push({ event, detail });
  document.body.dataset[event] = 'true';
}

function App({ config, access }: { config: DemoConfig; access: Access }) {
  const api = useMemo(() => new Api(config, access), [config, access]);
  const [signedIn, setSignedIn] = useState(!access.needsSignIn);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [choices, setChoices] = useState<StartChoices>({
    outcome: 'live',
    withPhoto: false,
    photo: null,
    documentFace: 'same',
  });
  const [problem, setProblem] = useState<string | undefined>();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const certificatePage = localCertificatePage(config.streamingEndpoint);
  const [certificateMissing, setCertificateMissing] = useState(false);

  // Before a check, not after its 10-second connection timeout: is the local endpoint's certificate accepted yet?
  // Checked again when the person comes back from the tab where they accepted it.
  useEffect(() => {
    if (!certificatePage) return undefined;
    const check = () =>
      void certificateAccepted(certificatePage).then((accepted) => {
        record('certificateChecked', accepted);
        setCertificateMissing(!accepted);
      });
    check();
    window.addEventListener('focus', check);
    return () => window.removeEventListener('focus', check);
  }, [certificatePage]);

  // Move focus to the new step's heading so keyboard and screen-reader users follow along.
  useEffect(() => {
    headingRef.current?.focus();
  }, [phase.kind, signedIn]);

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
      record('startError', failureOf(error).message);
      setPhase({ kind: 'error', session, failure: failureOf(error) });
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
        setPhase({ kind: 'error', session, failure: failureOf(error) });
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
        setPhase({ kind: 'error', session, failure: failureOf(error) });
      }
    },
    [api],
  );

  const detectorConfig = useMemo(
    () => ({
      credentialProvider: () => access.streamingCredentials(),
      endpointOverride: config.streamingEndpoint,
      faceModelUrl: new URL('assets/model/model.json', window.location.href).href,
      binaryPath: new URL('assets/tfjs/', window.location.href).href,
    }),
    [access, config.streamingEndpoint],
  );

  let body: React.ReactNode;
  switch (phase.kind) {
    case 'idle':
    case 'creating':
      body = (
        <>
          {certificateMissing && certificatePage && (
            <CertificateNotice certificatePage={certificatePage} troubleshootingUrl={config.troubleshootingUrl} />
          )}
          <StartForm
            choices={choices}
            onChange={setChoices}
            onStart={start}
            busy={phase.kind === 'creating'}
            localControls={Boolean(config.localControls)}
            problem={problem}
            headingRef={headingRef}
          />
        </>
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
            onError={async (livenessError) => {
              const { state, error } = livenessError as { state: string; error?: Error };
              record('detectorError', { state, name: error?.name, message: error?.message });
              const failure = await detectorFailure(state, error, config.streamingEndpoint);
              setPhase({ kind: 'error', session: phase.session, failure });
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
        <ErrorView
          failure={phase.failure}
          troubleshootingUrl={config.troubleshootingUrl}
          headingRef={headingRef}
          onRestart={() => setPhase({ kind: 'idle' })}
          onErase={phase.session && (() => erase(phase.session!.sessionId, phase.session))}
        />
      );
      break;
  }
  if (!signedIn) body = <SignIn access={access} onSignedIn={() => setSignedIn(true)} headingRef={headingRef} />;

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
    const access = config.auth ? new StackAccess(config.auth, config.region) : localAccess;
    root.render(<App config={config} access={access} />);
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
