"""Input types. They check only GraphQL types; the domain commands do the validating, so
a blank title fails here with exactly the field message REST gives."""

from __future__ import annotations

from graphql import (
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLString,
)

String = GraphQLNonNull(GraphQLString)
Tags = GraphQLList(GraphQLNonNull(GraphQLString))

ArticleFilterInput = GraphQLInputObjectType(
    "ArticleFilter",
    {
        "tag": GraphQLInputField(GraphQLString),
        "author": GraphQLInputField(GraphQLString, description="Username of the author."),
        "favoritedBy": GraphQLInputField(GraphQLString, description="Username of a fan."),
    },
)

RegisterInput = GraphQLInputObjectType(
    "RegisterInput",
    {
        "username": GraphQLInputField(String),
        "email": GraphQLInputField(String),
        "password": GraphQLInputField(String),
    },
)

LoginInput = GraphQLInputObjectType(
    "LoginInput", {"email": GraphQLInputField(String), "password": GraphQLInputField(String)}
)

UpdateViewerInput = GraphQLInputObjectType(
    "UpdateViewerInput",
    {
        "username": GraphQLInputField(GraphQLString),
        "email": GraphQLInputField(GraphQLString),
        "password": GraphQLInputField(GraphQLString),
        "bio": GraphQLInputField(GraphQLString, description='null or "" clears it.'),
        "image": GraphQLInputField(GraphQLString, description='null or "" clears it.'),
    },
    description="Only the fields given change.",
)

CreateArticleInput = GraphQLInputObjectType(
    "CreateArticleInput",
    {
        "title": GraphQLInputField(String),
        "description": GraphQLInputField(String),
        "body": GraphQLInputField(String),
        "tagList": GraphQLInputField(Tags, description="In display order."),
    },
)

UpdateArticleInput = GraphQLInputObjectType(
    "UpdateArticleInput",
    {
        "title": GraphQLInputField(GraphQLString, description="A new title also changes the slug."),
        "description": GraphQLInputField(GraphQLString),
        "body": GraphQLInputField(GraphQLString),
        "tagList": GraphQLInputField(Tags, description="[] removes all tags."),
    },
    description="Only the fields given change.",
)

AddCommentInput = GraphQLInputObjectType("AddCommentInput", {"body": GraphQLInputField(String)})
