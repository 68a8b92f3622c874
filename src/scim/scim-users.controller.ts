import { Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ScimAuth } from '../auth/auth-kind.decorator';
import { CurrentScimClient, ScimPrincipal } from '../auth/principal';
import { CostSetByClient } from '../auth/scim-request-limit.interceptor';
import { Settings } from '../config/settings';
import { UserChanges } from '../users/user-changes';
import { UserProvisioningService } from '../users/user-provisioning.service';
import type { UserRecord } from '../users/users.repository';
import { mapUserPatch } from './patch';
import { SCIM_MEDIA_TYPE, ScimException } from './scim-error';
import { project, readProjection } from './scim-projection';
import { etagOf, IfMatchVersion, MethodNotAllowed, RequestScimBaseUrl, ScimBody } from './scim-request';
import { ScimUserSearch } from './scim-user-search';
import { readNewUser, readReplacement } from './scim-user.input';
import { SCIM_LIST_RESPONSE_SCHEMA, ScimUserResource, toScimUser } from './scim-user.mapper';

type ListResponse = {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Partial<ScimUserResource>[];
};

type ListQuery = { filter?: unknown; startIndex?: unknown; count?: unknown; attributes?: unknown; excludedAttributes?: unknown };

const DEFAULT_COUNT = 100;

@ApiExcludeController()
@ScimAuth()
@Controller('scim/v2/Users')
export class ScimUsersController {
  constructor(
    private readonly users: UserProvisioningService,
    private readonly settings: Settings,
    private readonly search: ScimUserSearch,
  ) {}

  @Get()
  @Header('Content-Type', SCIM_MEDIA_TYPE)
  @CostSetByClient()
  async list(
    @CurrentScimClient() client: ScimPrincipal,
    @Query() query: ListQuery,
    @RequestScimBaseUrl() requestBaseUrl: string,
  ): Promise<ListResponse> {
    const projection = readProjection(query.attributes, query.excludedAttributes);
    const startIndex = Math.max(1, integerParameter(query.startIndex, 1));
    const count = Math.min(this.settings.scimMaxResults, Math.max(0, integerParameter(query.count, DEFAULT_COUNT)));
    const { users, total } = await this.search.list(client.organizationId, query.filter, startIndex - 1, count);
    return {
      schemas: [SCIM_LIST_RESPONSE_SCHEMA],
      totalResults: total,
      startIndex,
      itemsPerPage: users.length,
      Resources: users.map((user) => project(this.resource(user, requestBaseUrl), projection)),
    };
  }

  @Get(':id')
  async get(
    @CurrentScimClient() client: ScimPrincipal,
    @Param('id') id: string,
    @Query() query: ListQuery,
    @RequestScimBaseUrl() requestBaseUrl: string,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<Partial<ScimUserResource>> {
    const projection = readProjection(query.attributes, query.excludedAttributes);
    return project(this.respond(res, await this.users.get(client.organizationId, id), requestBaseUrl), projection);
  }

  @Post()
  @HttpCode(201)
  async create(
    @CurrentScimClient() client: ScimPrincipal,
    @ScimBody() body: unknown,
    @RequestScimBaseUrl() requestBaseUrl: string,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<ScimUserResource> {
    const resource = this.respond(res, await this.users.create(client.organizationId, readNewUser(body)), requestBaseUrl);
    res.header('Location', resource.meta.location);
    return resource;
  }

  @Put(':id')
  async replace(
    @CurrentScimClient() client: ScimPrincipal,
    @Param('id') id: string,
    @ScimBody() body: unknown,
    @IfMatchVersion() expectedVersion: number | undefined,
    @RequestScimBaseUrl() requestBaseUrl: string,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<ScimUserResource> {
    return this.update(client, id, () => readReplacement(body), expectedVersion, res, requestBaseUrl);
  }

  @Patch(':id')
  async patch(
    @CurrentScimClient() client: ScimPrincipal,
    @Param('id') id: string,
    @ScimBody() body: unknown,
    @IfMatchVersion() expectedVersion: number | undefined,
    @RequestScimBaseUrl() requestBaseUrl: string,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<ScimUserResource> {
    return this.update(client, id, () => mapUserPatch(body), expectedVersion, res, requestBaseUrl);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(
    @CurrentScimClient() client: ScimPrincipal,
    @Param('id') id: string,
    @IfMatchVersion() expectedVersion: number | undefined,
  ): Promise<void> {
    await this.users.remove(client.organizationId, id, expectedVersion);
  }

  // Fastify routes each method once, so the methods a path does not support are listed.
  @Put()
  @MethodNotAllowed()
  collectionPutNotAllowed(@Res({ passthrough: true }) res: FastifyReply): never {
    return collectionMethodNotAllowed(res);
  }

  @Patch()
  @MethodNotAllowed()
  collectionPatchNotAllowed(@Res({ passthrough: true }) res: FastifyReply): never {
    return collectionMethodNotAllowed(res);
  }

  @Delete()
  @MethodNotAllowed()
  collectionDeleteNotAllowed(@Res({ passthrough: true }) res: FastifyReply): never {
    return collectionMethodNotAllowed(res);
  }

  @Post(':id')
  @MethodNotAllowed()
  resourcePostNotAllowed(@Res({ passthrough: true }) res: FastifyReply): never {
    res.header('Allow', 'GET, PUT, PATCH, DELETE');
    throw new ScimException(405, 'A user supports GET, PUT, PATCH and DELETE.');
  }

  /** The body is read once the user is found: an unknown id is 404 before the body is judged, as for GET. */
  private async update(
    client: ScimPrincipal,
    id: string,
    readChanges: () => UserChanges,
    expectedVersion: number | undefined,
    res: FastifyReply,
    requestBaseUrl: string,
  ): Promise<ScimUserResource> {
    return this.respond(res, await this.users.update(client.organizationId, id, readChanges, expectedVersion), requestBaseUrl);
  }

  /** meta.location: from PUBLIC_BASE_URL when it is set, else from the request. */
  private resource(user: UserRecord, requestBaseUrl: string): ScimUserResource {
    return toScimUser(user, this.settings.http.publicBaseUrlConfigured ? this.settings.scimBaseUrl : requestBaseUrl);
  }

  /** Every single-user response: SCIM media type and the version as a weak ETag. */
  private respond(res: FastifyReply, user: UserRecord, requestBaseUrl: string): ScimUserResource {
    res.header('Content-Type', SCIM_MEDIA_TYPE);
    res.header('ETag', etagOf(user.version));
    return this.resource(user, requestBaseUrl);
  }
}

function collectionMethodNotAllowed(res: FastifyReply): never {
  res.header('Allow', 'GET, POST');
  throw new ScimException(405, 'Use GET to list or search users and POST to create one.');
}

/** RFC 7644 §3.4.2.4 leaves bad values to the server: a non-integer reads as the default. */
function integerParameter(value: unknown, fallback: number): number {
  return typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : fallback;
}
