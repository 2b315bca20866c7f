// Sign-in to the stack's user pool (COGNITO, or an identity pool for signed-in users): user name and password, then
// a new password or an authenticator code when Cognito asks for one.
import React, { useState } from 'react';

import type { Access, SignInStep } from './access';

interface Props {
  access: Access;
  onSignedIn: () => void;
  headingRef: React.RefObject<HTMLHeadingElement>;
}

const ANSWER_LABELS: Record<Exclude<SignInStep, 'DONE'>, [string, string]> = {
  NEW_PASSWORD: ['Choose a new password', 'new-password'],
  TOTP_CODE: ['Code from your authenticator app', 'one-time-code'],
};

function messageOf(error: unknown): string {
  const name = (error as { name?: string })?.name;
  if (name === 'NotAuthorizedException' || name === 'UserNotFoundException') return 'The user name or password is wrong.';
  return error instanceof Error ? error.message : String(error);
}

export function SignIn({ access, onSignedIn, headingRef }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [answer, setAnswer] = useState('');
  const [step, setStep] = useState<SignInStep>('DONE');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const asking = step !== 'DONE';

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const next = asking ? await access.confirm(answer) : await access.signIn(username, password);
      setAnswer('');
      if (next === 'DONE') onSignedIn();
      else setStep(next);
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="step-heading">
      <h2 id="step-heading" tabIndex={-1} ref={headingRef}>
        Sign in
      </h2>
      <p className="small">This stack lets signed-in users run checks. Sign in with a user of its user pool.</p>
      <form onSubmit={submit} className="sign-in">
        {asking ? (
          <label>
            {ANSWER_LABELS[step][0]}
            <input
              type={step === 'NEW_PASSWORD' ? 'password' : 'text'}
              autoComplete={ANSWER_LABELS[step][1]}
              value={answer}
              onChange={(event) => setAnswer(event.target.value)}
              required
            />
          </label>
        ) : (
          <>
            <label>
              User name
              <input autoComplete="username" value={username} onChange={(event) => setUsername(event.target.value)} required />
            </label>
            <label>
              Password
              <input
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(event) => setPassword(event.target.value)}
                required
              />
            </label>
          </>
        )}
        {problem && (
          <p role="alert" className="error">
            {problem}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {asking ? 'Continue' : 'Sign in'}
          </button>
        </div>
      </form>
    </section>
  );
}
