import { Controller, Delete, Get, Header, Param, Patch, Post, Put, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ScimAuth } from '../auth/auth-kind.decorator';
import { Settings } from '../config/settings';
import { serviceProviderConfig, userResourceType, userSchema } from './scim-discovery.documents';
import { SCIM_MEDIA_TYPE, ScimException } from './scim-error';
import { MethodNotAllowed } from './scim-request';
import { SCIM_LIST_RESPONSE_SCHEMA } from './scim-user.mapper';

const DISCOVERY_PATHS = ['ServiceProviderConfig', 'ResourceTypes', 'ResourceTypes/:id', 'Schemas', 'Schemas/:id'];

function listOf(resources: object[]): object {
  return {
    schemas: [SCIM_LIST_RESPONSE_SCHEMA],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** RFC 7644 §4 discovery, read-only. Query parameters are ignored, as the RFC asks. */
@ApiExcludeController()
@ScimAuth()
@Controller('scim/v2')
export class ScimDiscoveryController {
  constructor(private readonly settings: Settings) {}

  @Get('ServiceProviderConfig')
  @Header('Content-Type', SCIM_MEDIA_TYPE)
  serviceProviderConfig(): object {
    return serviceProviderConfig(this.settings.scimBaseUrl, this.settings.scimMaxResults);
  }

  @Get('ResourceTypes')
  @Header('Content-Type', SCIM_MEDIA_TYPE)
  resourceTypes(): object {
    return listOf([userResourceType(this.settings.scimBaseUrl)]);
  }

  @Get('ResourceTypes/:id')
  @Header('Content-Type', SCIM_MEDIA_TYPE)
  resourceType(@Param('id') id: string): object {
    if (id !== 'User') {
      throw new ScimException(404, `Resource type "${id}" not found; this service serves only User.`);
    }
    return userResourceType(this.settings.scimBaseUrl);
  }

  @Get('Schemas')
  @Header('Content-Type', SCIM_MEDIA_TYPE)
  schemas(): object {
    return listOf([userSchema(this.settings.scimBaseUrl)]);
  }

  @Get('Schemas/:id')
  @Header('Content-Type', SCIM_MEDIA_TYPE)
  schema(@Param('id') id: string): object {
    const schema = userSchema(this.settings.scimBaseUrl) as { id: string };
    if (id.toLowerCase() !== schema.id.toLowerCase()) {
      throw new ScimException(404, `Schema "${id}" not found; this service serves only ${schema.id}.`);
    }
    return schema;
  }

  // Fastify routes each method once, so every method these paths refuse is listed.
  @Post(DISCOVERY_PATHS)
  @MethodNotAllowed()
  postNotAllowed(@Res({ passthrough: true }) res: FastifyReply): never {
    return readOnly(res);
  }

  @Put(DISCOVERY_PATHS)
  @MethodNotAllowed()
  putNotAllowed(@Res({ passthrough: true }) res: FastifyReply): never {
    return readOnly(res);
  }

  @Patch(DISCOVERY_PATHS)
  @MethodNotAllowed()
  patchNotAllowed(@Res({ passthrough: true }) res: FastifyReply): never {
    return readOnly(res);
  }

  @Delete(DISCOVERY_PATHS)
  @MethodNotAllowed()
  deleteNotAllowed(@Res({ passthrough: true }) res: FastifyReply): never {
    return readOnly(res);
  }
}

function readOnly(res: FastifyReply): never {
  res.header('Allow', 'GET');
  throw new ScimException(405, 'The discovery endpoints (/ServiceProviderConfig, /ResourceTypes, /Schemas) are read-only: use GET.');
}
