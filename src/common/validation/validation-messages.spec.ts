import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { CreateApiKeyDto } from '../../api-keys/dto/api-key.dto';
import { MessageCreateDto } from '../../history/dto/history.dto';
import { BootstrapOrganizationDto } from '../../organizations/dto/bootstrap-organization.dto';
import { GrantAdministratorDto } from '../../organizations/dto/grant-administrator.dto';
import { PurgeListQueryDto } from '../../retention/dto/purge.dto';
import { UserListQueryDto } from '../../users/dto/user-list-query.dto';
import { PageQueryDto } from '../paging.dto';
import { describeValidationErrors } from './validation-messages';

function problems<T extends object>(type: new () => T, input: Record<string, unknown>): string[] {
  return describeValidationErrors(validateSync(plainToInstance(type, input), { whitelist: true }));
}

describe('validation messages: one per problem, naming it and the fix', () => {
  describe('a message (POST /admin/v1/users/:id/messages)', () => {
    it('says a missing body is required and what it holds, and nothing about its length', () => {
      expect(problems(MessageCreateDto, { subject: 'Hello' })).toEqual([
        'body is required: the message text, a string of at most 65535 characters (it may be empty).',
      ]);
    });

    it('names each missing field once', () => {
      expect(problems(MessageCreateDto, {})).toEqual([
        'subject is required: the message subject, a string of 1 to 255 characters.',
        'body is required: the message text, a string of at most 65535 characters (it may be empty).',
      ]);
    });

    it('says which type a field has instead, without echoing it', () => {
      expect(problems(MessageCreateDto, { subject: 42, body: ['secret text'] })).toEqual([
        'subject must be a string of 1 to 255 characters, not a number.',
        'body must be a string of at most 65535 characters, not an array.',
      ]);
    });

    it('treats null as missing', () => {
      expect(problems(MessageCreateDto, { subject: null, body: '' })).toEqual([
        'subject is required: the message subject, a string of 1 to 255 characters.',
      ]);
    });

    it('says a field is empty or too long', () => {
      expect(problems(MessageCreateDto, { subject: '', body: 'x' })).toEqual(['subject must not be empty: send 1 to 255 characters.']);
      expect(problems(MessageCreateDto, { subject: 's'.repeat(256), body: 'b'.repeat(65536) })).toEqual([
        'subject is too long: send at most 255 characters.',
        'body is too long: send at most 65535 characters.',
      ]);
    });

    it('accepts a valid message', () => {
      expect(problems(MessageCreateDto, { subject: 'Hi', body: '' })).toEqual([]);
    });
  });

  it('an API key description: optional, a string, at most 255 characters', () => {
    expect(problems(CreateApiKeyDto, {})).toEqual([]);
    expect(problems(CreateApiKeyDto, { description: 7 })).toEqual([
      'description must be a string of at most 255 characters (or left out), not a number.',
    ]);
    expect(problems(CreateApiKeyDto, { description: 'd'.repeat(256) })).toEqual(['description is too long: send at most 255 characters.']);
  });

  it('paging: one message for a value that is not a whole number in range', () => {
    expect(problems(PageQueryDto, { limit: 'abc', offset: '-1' })).toEqual([
      'limit must be an integer from 1 to 200',
      'offset must be an integer from 0 to 1000000',
    ]);
    expect(problems(PageQueryDto, { limit: '201' })).toEqual(['limit must be an integer from 1 to 200']);
    expect(problems(PageQueryDto, { limit: '1.5' })).toEqual(['limit must be an integer from 1 to 200']);
  });

  it('list filters name the accepted values', () => {
    expect(problems(UserListQueryDto, { status: 'gone', userName: 'u'.repeat(256) })).toEqual([
      'status must be active or inactive.',
      'userName is too long: send at most 255 characters.',
    ]);
    expect(problems(PurgeListQueryDto, { state: 'x', userId: 'u'.repeat(37) })).toEqual([
      'state must be one of pending, running, completed, failed, merged, held, scheduled, cancelled.',
      'userId must be a user id (at most 36 characters).',
    ]);
  });

  it('the CLI inputs say what is missing', () => {
    expect(problems(BootstrapOrganizationDto, {})).toEqual([
      "orgName is required: the organization's display name (1 to 255 characters).",
      'hostname is required: the DNS name an Okta admin enters as Hostname, such as files.example.com.',
      "adminEmail is required: the first administrator's email address (also their userName).",
    ]);
    expect(problems(GrantAdministratorDto, { hostname: ' ', email: 'nope' })).toEqual([
      'hostname must not be empty',
      'email must be an email address',
    ]);
  });
});
