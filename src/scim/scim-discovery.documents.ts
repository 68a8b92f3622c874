import { SCIM_USER_SCHEMA } from './scim-user.mapper';

const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

type Attribute = {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'dateTime' | 'reference';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: Attribute[];
  referenceTypes?: string[];
};

function attribute(name: string, type: Attribute['type'], description: string, overrides: Partial<Attribute> = {}): Attribute {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...overrides,
  };
}

/** What this service really does: PATCH and filters yes; bulk, sort, password change no; ETags yes. */
export function serviceProviderConfig(baseUrl: string, maxResults: number): object {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    documentationUri: `${baseUrl.replace(/\/scim\/v2$/, '')}/admin/docs`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'httpbasic',
        name: 'HTTP Basic',
        description: 'The SCIM username and password issued for an API key by the admin API.',
        specUri: 'https://www.rfc-editor.org/rfc/rfc7617',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function userResourceType(baseUrl: string): object {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'A person provisioned by the identity provider',
    schema: SCIM_USER_SCHEMA,
    schemaExtensions: [],
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
  };
}

export function userSchema(baseUrl: string): object {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: SCIM_USER_SCHEMA,
    name: 'User',
    description:
      'User account. Only name.givenName, name.familyName and active change after creation; userName is immutable, and externalId may be set once, while the user has none.',
    attributes: [
      attribute('userName', 'string', 'Unique identifier of the user, compared without regard to case. Cannot be changed.', {
        required: true,
        mutability: 'immutable',
        uniqueness: 'server',
      }),
      attribute('name', 'complex', "The user's name", {
        subAttributes: [
          attribute('givenName', 'string', 'First name'),
          attribute('familyName', 'string', 'Last name'),
          attribute('formatted', 'string', 'givenName and familyName joined', { mutability: 'readOnly' }),
        ],
      }),
      attribute('displayName', 'string', 'givenName and familyName joined', { mutability: 'readOnly' }),
      attribute('emails', 'complex', 'The work email given at creation', {
        multiValued: true,
        mutability: 'immutable',
        subAttributes: [
          attribute('value', 'string', 'Email address', { mutability: 'immutable' }),
          attribute('type', 'string', 'Always work', { mutability: 'readOnly' }),
          attribute('primary', 'boolean', 'Always true', { mutability: 'readOnly' }),
        ],
      }),
      attribute(
        'externalId',
        'string',
        "The identity provider's id for the user. Set once: by POST, or by PUT or PATCH add/replace while the user has none; a different value, or its removal, is refused with 400 mutability.",
        { caseExact: true, mutability: 'immutable' },
      ),
      attribute(
        'active',
        'boolean',
        'Required in POST and PUT and never removed: true, or false to deactivate (the profile is wiped and every file and message of the user is purged).',
        { required: true },
      ),
      attribute('password', 'string', 'Accepted and ignored; never stored or returned', { mutability: 'writeOnly', returned: 'never' }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${SCIM_USER_SCHEMA}` },
  };
}
