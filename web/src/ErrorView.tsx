// A check that could not be completed: what happened in plain words, what to do (the local certificate's page when
// that is the cause), a link to the troubleshooting page, and the ways on. And the notice, before a check, that the
// local certificate still needs accepting.
import React from 'react';

import { troubleshootingLink } from './streaming';
import type { TroubleshootingTopic } from './streaming';

export interface Failure {
  message: string;
  /** The troubleshooting section that explains it, when one does. */
  topic?: TroubleshootingTopic;
  /** The local streaming endpoint's https:// page, when its certificate is not accepted yet. */
  certificatePage?: string;
}

interface Props {
  failure: Failure;
  troubleshootingUrl?: string;
  headingRef: React.RefObject<HTMLHeadingElement>;
  onRestart: () => void;
  onErase?: () => void;
}

export function ErrorView({ failure, troubleshootingUrl, headingRef, onRestart, onErase }: Props) {
  return (
    <section aria-labelledby="step-heading">
      <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
        The check could not be completed
      </h2>
      <p role="alert" className="error" data-testid="error">
        {failure.message}
      </p>
      {failure.certificatePage && (
        <ol className="steps" data-testid="certificate-steps">
          <li>
            Open{' '}
            <a href={failure.certificatePage} target="_blank" rel="noreferrer">
              {failure.certificatePage}
            </a>{' '}
            in this browser and accept the warning about its certificate (it is self-signed, and made afresh each time{' '}
            <code>make local</code> starts).
          </li>
          <li>Come back here and start a new check.</li>
        </ol>
      )}
      <p className="small">
        <a href={troubleshootingLink(failure.topic, troubleshootingUrl)} target="_blank" rel="noreferrer">
          Troubleshooting: causes and fixes
        </a>
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={onRestart}>
          Start a new check
        </button>
        {onErase && (
          <button type="button" className="danger" onClick={onErase}>
            Erase my data
          </button>
        )}
      </div>
    </section>
  );
}

/** Shown above the start form on `make local` while this browser refuses the streaming endpoint's certificate. */
export function CertificateNotice({ certificatePage, troubleshootingUrl }: { certificatePage: string; troubleshootingUrl?: string }) {
  return (
    <p className="notice" role="note" data-testid="certificate-notice">
      First, accept the local streaming endpoint's certificate: open{' '}
      <a href={certificatePage} target="_blank" rel="noreferrer">
        {certificatePage}
      </a>{' '}
      in this browser and accept the warning, then come back. Without it the detector cannot connect (
      <a href={troubleshootingLink('certificate', troubleshootingUrl)} target="_blank" rel="noreferrer">
        why
      </a>
      ).
    </p>
  );
}
