import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ScimAuth } from '../auth/auth-kind.decorator';
import { CurrentScimClient, ScimPrincipal } from '../auth/principal';
import { SCIM_MEDIA_TYPE } from '../common/errors/all-exceptions.filter';
import { Settings } from '../config/settings';
import { UsersService } from '../users/users.service';
import { ScimListQueryDto } from './dto/list-query.dto';
import { SCIM_LIST_RESPONSE_SCHEMA, ScimUserResource, toScimUser } from './scim-user.mapper';

type ListResponse = {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: ScimUserResource[];
};

@ApiExcludeController()
@ScimAuth()
@Controller('scim/v2/Users')
export class ScimUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly settings: Settings,
  ) {}

  @Get()
  @Header('Content-Type', SCIM_MEDIA_TYPE)
  async list(@CurrentScimClient() client: ScimPrincipal, @Query() query: ScimListQueryDto): Promise<ListResponse> {
    const { users, total } = await this.users.page(client.organizationId, query.startIndex - 1, query.count);
    return {
      schemas: [SCIM_LIST_RESPONSE_SCHEMA],
      totalResults: total,
      startIndex: query.startIndex,
      itemsPerPage: users.length,
      Resources: users.map((user) => toScimUser(user, this.settings.scimBaseUrl)),
    };
  }
}
