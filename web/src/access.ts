// How the page calls the API and gets the detector's streaming credentials: on `make local` with neither (the twin
// checks no signature); against a deployed stack as its caller mode says (config.json's `auth`, which
// `make demo-config` writes from the stack's outputs):
//   COGNITO                     sign in to the user pool; the ID token authorizes each call; the identity pool's
//                               authenticated role streams.
//   IAM, identityPool=authenticated   sign in; the identity pool's credentials sign each call (SigV4) and stream.
//   IAM, identityPool=guest     no sign-in: Cognito's basic flow (GetId, GetOpenIdToken, AssumeRoleWithWebIdentity
//                               on GuestRoleArn) gives credentials that sign each call and stream; the enhanced flow's
//                               session policy leaves out execute-api (docs/web-and-mobile.md).
import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchAuthSession, signIn } from 'aws-amplify/auth';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** The stack's caller mode and its Cognito resources, from its outputs. */
export interface StackAuth {
  authorization: 'IAM' | 'COGNITO';
  userPoolId?: string;
  userPoolClientId?: string;
  identityPoolId?: string;
  /** IAM guest mode: the role guests assume with the basic flow. */
  guestRoleArn?: string;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** What a sign-in still needs: nothing, a new password (a user an administrator created), or an MFA code. */
export type SignInStep = 'DONE' | 'NEW_PASSWORD' | 'TOTP_CODE';

export interface Access {
  /** Whether the person signs in before a check. */
  readonly needsSignIn: boolean;
  signIn(username: string, password: string): Promise<SignInStep>;
  /** Answers the step signIn asked for (the new password, or the authenticator app's code). */
  confirm(answer: string): Promise<SignInStep>;
  /** Headers that authorize an API call. */
  headers(method: string, url: URL, body: string | undefined): Promise<Record<string, string>>;
  /** The detector's `config.credentialProvider`. */
  streamingCredentials(): Promise<AwsCredentials>;
}

// Local mode signs with dummy credentials: the local streaming endpoint checks no signature.
export const localAccess: Access = {
  needsSignIn: false,
  signIn: async () => 'DONE',
  confirm: async () => 'DONE',
  headers: async () => ({}),
  streamingCredentials: async () => ({
    accessKeyId: 'LOCALDEMOACCESSKEY',
    secretAccessKey: 'local-demo-secret-access-key',
    sessionToken: 'local-demo-session-token',
  }),
};

export class SignInError extends Error {
  override name = 'SignInError';
}

function stepOf(result: { isSignedIn: boolean; nextStep: { signInStep: string } }): SignInStep {
  const step = result.nextStep.signInStep;
  if (result.isSignedIn || step === 'DONE') return 'DONE';
  if (step === 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED') return 'NEW_PASSWORD';
  if (step === 'CONFIRM_SIGN_IN_WITH_TOTP_CODE') return 'TOTP_CODE';
  throw new SignInError(
    `This account needs a sign-in step the demo does not offer (${step}); finish it in your app or the Cognito console first.`,
  );
}

async function cognitoIdentity(region: string, action: string, body: unknown): Promise<Record<string, string>> {
  const response = await fetch(`https://cognito-identity.${region}.amazonaws.com/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSCognitoIdentityService.${action}` },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, string>;
  if (!response.ok) throw new Error(`Cognito ${action}: ${answer.__type ?? response.status} ${answer.message ?? ''}`);
  return answer;
}

/** The basic flow's three unsigned calls; the guest's identity id stays in this browser (it owns the sessions). */
async function guestCredentials(region: string, identityPoolId: string, roleArn: string): Promise<AwsCredentials> {
  const key = `face-liveness-demo:identity:${identityPoolId}`;
  let identityId = localStorage.getItem(key);
  if (!identityId) {
    identityId = (await cognitoIdentity(region, 'GetId', { IdentityPoolId: identityPoolId })).IdentityId;
    localStorage.setItem(key, identityId);
  }
  const { Token } = await cognitoIdentity(region, 'GetOpenIdToken', { IdentityId: identityId });
  const form = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: roleArn,
    RoleSessionName: 'face-liveness-demo',
    WebIdentityToken: Token,
    DurationSeconds: '900',
  });
  const response = await fetch(`https://sts.${region}.amazonaws.com/`, { method: 'POST', body: form });
  const xml = new DOMParser().parseFromString(await response.text(), 'application/xml');
  const field = (name: string) => xml.getElementsByTagName(name)[0]?.textContent ?? '';
  if (!response.ok) throw new Error(`STS AssumeRoleWithWebIdentity: ${field('Code')} ${field('Message')}`);
  return {
    accessKeyId: field('AccessKeyId'),
    secretAccessKey: field('SecretAccessKey'),
    sessionToken: field('SessionToken'),
    expiration: new Date(field('Expiration')),
  };
}

export class StackAccess implements Access {
  readonly needsSignIn: boolean;
  private cached?: AwsCredentials;

  constructor(
    private readonly auth: StackAuth,
    private readonly region: string,
  ) {
    this.needsSignIn = auth.authorization === 'COGNITO' || Boolean(auth.userPoolId && !auth.guestRoleArn);
    const { userPoolId, userPoolClientId, identityPoolId } = auth;
    if (userPoolId && userPoolClientId) {
      Amplify.configure({ Auth: { Cognito: { userPoolId, userPoolClientId, identityPoolId } } });
    }
  }

  async signIn(username: string, password: string): Promise<SignInStep> {
    return stepOf(await signIn({ username, password }));
  }

  async confirm(answer: string): Promise<SignInStep> {
    return stepOf(await confirmSignIn({ challengeResponse: answer }));
  }

  async streamingCredentials(): Promise<AwsCredentials> {
    const { guestRoleArn, identityPoolId } = this.auth;
    if (guestRoleArn && identityPoolId) {
      const fresh = this.cached?.expiration && this.cached.expiration.getTime() - Date.now() > 60_000;
      if (!fresh) this.cached = await guestCredentials(this.region, identityPoolId, guestRoleArn);
      return this.cached!;
    }
    const credentials = identityPoolId ? (await fetchAuthSession()).credentials : undefined;
    if (!credentials) {
      throw new Error(
        'This stack gives the browser no streaming credentials (it has no identity pool): deploy it with identityPool=authenticated.',
      );
    }
    return credentials;
  }

  async headers(method: string, url: URL, body: string | undefined): Promise<Record<string, string>> {
    const contentType: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (this.auth.authorization === 'COGNITO') {
      const token = (await fetchAuthSession()).tokens?.idToken?.toString();
      if (!token) throw new SignInError('You are not signed in. Sign in and try again.');
      return { ...contentType, Authorization: token };
    }
    const signer = new SignatureV4({
      service: 'execute-api',
      region: this.region,
      credentials: await this.streamingCredentials(),
      sha256: Sha256,
    });
    const query = Object.fromEntries(url.searchParams);
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query,
      headers: { host: url.host, ...contentType },
      body,
    });
    // The browser sets Host itself and refuses to be told.
    const { host: _host, ...headers } = signed.headers;
    return headers;
  }
}
