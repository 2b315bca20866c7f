// The first step: what the check will do, the choice to verify against an ID photo (with its file), and on
// `make local` what the emulated service should decide.
import React from 'react';

import { DOCUMENT_CONTENT_TYPES } from './api';
import type { DocumentFace } from './api';

export type Outcome = 'live' | 'spoof' | 'fail';

export interface StartChoices {
  outcome: Outcome;
  withPhoto: boolean;
  photo: File | null;
  documentFace: DocumentFace;
}

interface Props {
  choices: StartChoices;
  onChange: (choices: StartChoices) => void;
  onStart: () => void;
  busy: boolean;
  localControls: boolean;
  problem?: string;
  headingRef: React.RefObject<HTMLHeadingElement>;
}

const OUTCOMES: readonly (readonly [Outcome, string])[] = [
  ['live', 'A live person (LIVE)'],
  ['spoof', 'A spoof (NOT_LIVE)'],
  ['fail', 'The service cannot decide (FAILED)'],
];

const DOCUMENT_FACES: readonly (readonly [DocumentFace, string])[] = [
  ['same', 'The same person (MATCH)'],
  ['other', 'Someone else (NO_MATCH)'],
  ['none', 'No face at all (NO_FACE)'],
];

function RadioGroup<T extends string>(props: {
  legend: string;
  name: string;
  options: readonly (readonly [T, string])[];
  value: T;
  onChange: (value: T) => void;
}) {
  return (
    <fieldset className="outcome">
      <legend>{props.legend}</legend>
      {props.options.map(([value, label]) => (
        <label key={value}>
          <input
            type="radio"
            name={props.name}
            value={value}
            checked={props.value === value}
            onChange={() => props.onChange(value)}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

export function StartForm({ choices, onChange, onStart, busy, localControls, problem, headingRef }: Props) {
  const set = (change: Partial<StartChoices>) => onChange({ ...choices, ...change });
  return (
    <section aria-labelledby="step-heading">
      <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
        Check that you are a live person
      </h2>
      <p>
        The check uses your camera for a few seconds. Put your face in the oval when it appears and hold still while
        the screen flashes colours.
      </p>
      <div className="photo-choice">
        <label className="checkbox">
          <input type="checkbox" checked={choices.withPhoto} onChange={(event) => set({ withPhoto: event.target.checked })} />
          Verify against an ID photo
        </label>
        {choices.withPhoto && (
          <div className="photo-picker">
            <label htmlFor="id-photo">ID photo (a JPEG or PNG of your passport or ID card)</label>
            <input
              id="id-photo"
              type="file"
              accept={DOCUMENT_CONTENT_TYPES.join(',')}
              aria-describedby="id-photo-help"
              onChange={(event) => set({ photo: event.target.files?.[0] ?? null })}
            />
            {choices.photo && <p className="small">Chosen: {choices.photo.name}</p>}
            <p id="id-photo-help" className="small">
              The photo goes straight to storage for this check only, and is erased with it. The server compares it
              with your live face once the check has passed.
            </p>
          </div>
        )}
      </div>
      {localControls && (
        <RadioGroup
          legend="Local demo: what should the emulated check decide?"
          name="outcome"
          options={OUTCOMES}
          value={choices.outcome}
          onChange={(outcome) => set({ outcome })}
        />
      )}
      {localControls && choices.withPhoto && (
        <RadioGroup
          legend="Local demo: whose face should the emulated ID photo show?"
          name="document-face"
          options={DOCUMENT_FACES}
          value={choices.documentFace}
          onChange={(documentFace) => set({ documentFace })}
        />
      )}
      {problem && (
        <p role="alert" className="error" data-testid="start-problem">
          {problem}
        </p>
      )}
      <button type="button" className="primary" onClick={onStart} disabled={busy}>
        {busy ? 'Starting…' : 'Start the check'}
      </button>
    </section>
  );
}
