import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.js';

@ObjectType('Passkey', { description: 'A passkey (WebAuthn credential) of the signed-in user.' })
export class PasskeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Boolean, {
    description: 'A multi-device (synced) passkey: its key can live in a cloud keychain.',
  })
  backupEligible!: boolean;

  @Field(() => Boolean, { description: 'Backed up (synced) as of its last use.' })
  backedUp!: boolean;

  @Field(() => [String], {
    description: 'How the browser reaches the authenticator: internal, hybrid, usb, …',
  })
  transports!: string[];

  @Field(() => String, { description: "The authenticator model's AAGUID (all zeros when it does not say)." })
  aaguid!: string;
}

@ObjectType('PasskeyOptions', {
  description:
    'WebAuthn options as JSON text: JSON.parse it and hand it to @simplewebauthn/browser ' +
    '(startRegistration / startAuthentication, as optionsJSON) or to navigator.credentials.',
})
export class PasskeyOptions {
  @Field(() => String)
  options!: string;
}

@ObjectType('PasskeyRemoved')
export class PasskeyRemoved {
  @Field(() => ID)
  id!: string;
}
