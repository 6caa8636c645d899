import { Aws, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import type { UserPoolGroup } from 'aws-cdk-lib/aws-cognito';
import {
  AccountRecovery,
  CfnUserPoolUser,
  CfnUserPoolUserToGroupAttachment,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { roles, type Role } from '#shared/access.ts';

export const adminUsername = 'admin';

export interface AuthProps {
  /** The first administrator gets an invitation with a temporary password at this address. */
  readonly adminEmail: string;
  /** Origins the web app is served from: the hosted UI sends people back to these. */
  readonly webOrigins: readonly string[];
  /** Makes the hosted-UI domain prefix unique per deployment. */
  readonly regionCode: string;
}

/** Cognito user pool whose groups are the product's roles, a web/CLI client, and the first admin. */
export class Auth extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;
  readonly groups: ReadonlyMap<Role, UserPoolGroup>;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'UserPool', {
      // Accounts are created by an admin (the roster of staff is known); nobody signs themselves up.
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: false, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      // Cognito can't require MFA per group, and every role sees household personal data (names,
      // ID numbers, bank accounts) anyway, so MFA is REQUIRED for the whole pool. That covers
      // finance and admin without a custom auth flow. TOTP (an authenticator app) only: SMS
      // would need an SNS spending limit and is the weaker factor.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Plus plan: threat protection blocks compromised-credential and risky sign-ins (cdk-nag COG8).
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      userInvitation: {
        emailSubject: 'Your claims processor account',
        emailBody:
          'An account was created for you. Username: {username} Temporary password: {####} You will set a new password and an authenticator app at first sign-in.',
      },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const groups = new Map<Role, UserPoolGroup>();
    for (const role of roles) {
      groups.set(
        role,
        this.userPool.addGroup(`${role}Group`, { groupName: role, description: `claims role ${role}` }),
      );
    }
    this.groups = groups;

    // No client secret (browser and CLI are public clients); SRP keeps the password off the wire.
    // ADMIN_USER_PASSWORD needs AWS credentials (admin-initiate-auth): it is how an operator
    // completes the first admin's sign-in (new password, TOTP enrolment) before a web UI exists.
    this.client = this.userPool.addClient('Client', {
      authFlows: { userSrp: true, adminUserPassword: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // The web app signs in through the hosted UI: authorization code with PKCE, no secret.
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: props.webOrigins.map((o) => `${o}/`),
        logoutUrls: props.webOrigins.map((o) => `${o}/`),
      },
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.domain = this.userPool.addDomain('HostedUi', {
      cognitoDomain: { domainPrefix: Fn.join('-', ['fangpin', props.regionCode, Aws.ACCOUNT_ID]) },
    });

    const admin = new CfnUserPoolUser(this, 'AdminUser', {
      userPoolId: this.userPool.userPoolId,
      username: adminUsername,
      desiredDeliveryMediums: ['EMAIL'],
      userAttributes: [
        { name: 'email', value: props.adminEmail },
        { name: 'email_verified', value: 'true' },
      ],
    });
    const adminGroup = groups.get('admin');
    if (!adminGroup) throw new Error('the roles must include admin');
    const attachment = new CfnUserPoolUserToGroupAttachment(this, 'AdminUserInAdminGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: adminGroup.groupName,
      username: adminUsername,
    });
    attachment.node.addDependency(admin, adminGroup);
  }
}
