import { All, Controller, Delete, Get, Header, Patch, Post, Put } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ScimAuth } from '../auth/auth-kind.decorator';
import { SCIM_MEDIA_TYPE, ScimException } from './scim-error';
import { SCIM_LIST_RESPONSE_SCHEMA } from './scim-user.mapper';

/**
 * This is a Users-only service. Okta probes GET /Groups when its settings are saved, so that
 * answers an empty list; everything else here is 501 Not Implemented.
 */
@ApiExcludeController()
@ScimAuth()
@Controller('scim/v2')
export class ScimUnsupportedController {
  @Get('Groups')
  @Header('Content-Type', SCIM_MEDIA_TYPE)
  groups(): object {
    return { schemas: [SCIM_LIST_RESPONSE_SCHEMA], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] };
  }

  // Fastify routes each method once: GET /Groups is the list above.
  @Post('Groups')
  createGroup(): never {
    return notImplemented();
  }

  @Put('Groups')
  replaceGroups(): never {
    return notImplemented();
  }

  @Patch('Groups')
  patchGroups(): never {
    return notImplemented();
  }

  @Delete('Groups')
  deleteGroups(): never {
    return notImplemented();
  }

  @All(['Groups/*', 'Bulk', 'Me', '.search', 'Users/.search'])
  notImplemented(): never {
    return notImplemented();
  }
}

function notImplemented(): never {
  throw new ScimException(501, 'Not implemented: this service provisions Users only (no Groups, Bulk, /Me or /.search).');
}
